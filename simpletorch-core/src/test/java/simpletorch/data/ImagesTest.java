package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
    @TempDir
    Path dir;

    static Path write(Path file, BufferedImage image, String format) throws IOException {
        assertThat(ImageIO.write(image, format, file.toFile())).as("ImageIO writer for " + format).isTrue();
        return file;
    }

    /** Left half red, right half blue, of any size. */
    static BufferedImage halves(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, x < w / 2 ? 0xFFFF0000 : 0xFF0000FF);
            }
        }
        return img;
    }

    @Test
    void pngOfOddSizeIsResizedOnTheShorterSideAndCentreCropped() throws IOException {
        // 90 x 45: shorter side 45 -> 16, so 32 x 16, then the centre 16 x 16 keeps columns 8..23: half red, half blue.
        Path f = write(dir.resolve("wide.png"), halves(90, 45, BufferedImage.TYPE_INT_RGB), "png");
        byte[] chw = Images.loadAndResize(f, 3, 16);
        assertThat(chw).hasSize(3 * 16 * 16);
        assertThat(px(chw, 16, 0, 8, 1)).isEqualTo(255);   // red at the left
        assertThat(px(chw, 16, 2, 8, 1)).isEqualTo(0);
        assertThat(px(chw, 16, 0, 8, 14)).isEqualTo(0);    // blue at the right
        assertThat(px(chw, 16, 2, 8, 14)).isEqualTo(255);
        // Across the edge the antialiasing filter blends, never overshoots.
        for (byte b : chw) {
            assertThat(b & 0xFF).isBetween(0, 255);
        }
    }

    @Test
    void jpegUpscaledKeepsItsColoursApproximately() throws IOException {
        Path f = write(dir.resolve("small.jpg"), halves(10, 7, BufferedImage.TYPE_INT_RGB), "jpg");
        byte[] chw = Images.loadAndResize(f, 3, 32);
        assertThat(chw).hasSize(3 * 32 * 32);
        assertThat(px(chw, 32, 0, 16, 0)).isGreaterThan(200);
        assertThat(px(chw, 32, 2, 16, 31)).isGreaterThan(200);
        assertThat(variance(chw)).isGreaterThan(1000);
    }

    @Test
    void greyscaleSourceKeepsItsValuesAndRgbToGreyUsesLuma() throws IOException {
        BufferedImage grey = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                grey.getRaster().setSample(x, y, 0, 100);
            }
        }
        Path g = write(dir.resolve("grey.png"), grey, "png");
        byte[] one = Images.loadAndResize(g, 1, 4);
        assertThat(one).hasSize(16);
        for (byte b : one) {
            assertThat(b & 0xFF).isEqualTo(100); // not brightened by a colour-space conversion
        }
        byte[] three = Images.loadAndResize(g, 3, 4);
        assertThat(three).hasSize(48).containsOnly((byte) 100);

        Path red = write(dir.resolve("red.png"), halves(2, 2, BufferedImage.TYPE_INT_RGB), "png");
        byte[] luma = Images.loadAndResize(red, 1, 2);
        assertThat(luma[0] & 0xFF).isEqualTo(76);  // 0.299 * 255
        assertThat(luma[1] & 0xFF).isEqualTo(29);  // 0.114 * 255
    }

    @Test
    void transparentPixelsBecomeWhite() throws IOException {
        BufferedImage rgba = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                rgba.setRGB(x, y, x < 2 ? 0x00000000 : 0xFF000000); // left transparent black, right opaque black
            }
        }
        Path f = write(dir.resolve("alpha.png"), rgba, "png");
        byte[] chw = Images.loadAndResize(f, 3, 4);
        for (int c = 0; c < 3; c++) {
            assertThat(px(chw, 4, c, 1, 0)).isEqualTo(255);
            assertThat(px(chw, 4, c, 1, 3)).isEqualTo(0);
        }
    }

    @Test
    void unreadableFilesAreNamedInTheError() throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.png"), "this is not a PNG");
        assertThatThrownBy(() -> Images.loadAndResize(junk, 3, 8))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("junk.png");
        Path png = write(dir.resolve("cut.png"), halves(64, 64, BufferedImage.TYPE_INT_RGB), "png");
        byte[] bytes = Files.readAllBytes(png);
        Files.write(png, java.util.Arrays.copyOf(bytes, 60)); // header intact, data cut
        assertThatThrownBy(() -> Images.loadAndResize(png, 3, 8))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("cut.png");
    }

    @Test
    void headerDeclaringTooManyPixelsIsRefusedBeforeDecoding() throws IOException {
        // A real PNG header (IHDR) claiming 20000 x 20000, with nothing after it: refused from the header alone.
        Path f = dir.resolve("bomb.png");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(4 + 13);
        ihdr.put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(20_000).putInt(20_000)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ihdr.array());
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(13).array());
        out.writeBytes(ihdr.array());
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        Files.write(f, out.toByteArray());
        assertThatThrownBy(() -> Images.loadAndResize(f, 3, 32))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("bomb.png").hasMessageContaining("400000000 pixels");
    }

    static int px(byte[] chw, int size, int c, int y, int x) {
        return chw[(c * size + y) * size + x] & 0xFF;
    }

    static double variance(byte[] bytes) {
        double mean = 0, sq = 0;
        for (byte b : bytes) {
            mean += b & 0xFF;
        }
        mean /= bytes.length;
        for (byte b : bytes) {
            sq += ((b & 0xFF) - mean) * ((b & 0xFF) - mean);
        }
        return sq / bytes.length;
    }
}
