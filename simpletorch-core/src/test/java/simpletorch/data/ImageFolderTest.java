package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path root;

    private static BufferedImage solid(int w, int h, int type, int argb) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, argb);
            }
        }
        return img;
    }

    /** cats: 5 PNGs (RGB, RGBA, greyscale, odd sizes); dogs: 5 JPEGs; plus one junk file in cats. */
    private void mixedFolder(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("cats"));
        Files.createDirectories(dir.resolve("dogs"));
        int[] types = {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_BYTE_GRAY};
        for (int i = 0; i < 5; i++) {
            ImagesTest.write(dir.resolve("cats/c" + i + ".png"), solid(17 + i, 40 - i, types[i % 3], 0xFFC80000), "png");
            ImagesTest.write(dir.resolve("dogs/d" + i + ".JPG"), solid(50 + 3 * i, 23, BufferedImage.TYPE_INT_RGB, 0xFF0000C8), "jpg");
        }
        Files.writeString(dir.resolve("cats/broken.png"), "not an image");
        Files.writeString(dir.resolve("cats/notes.txt"), "ignored: not an image extension");
    }

    @Test
    void seededSplitOfMixedFormatsWithUnreadableFilesSkippedAndReported() throws IOException {
        mixedFolder(root);
        List<String> log = new ArrayList<>();
        ImageFolder.Result r = ImageFolder.load(root, new ImageFolder.Options(3, 12, 0.2, 7), log::add);
        assertThat(r.train().classes()).containsExactly("cats", "dogs");
        assertThat(r.train().size()).isEqualTo(8);
        assertThat(r.test().size()).isEqualTo(2);
        assertThat(new int[] {r.train().channels(), r.train().height(), r.train().width()}).containsExactly(3, 12, 12);
        assertThat(r.skipped()).hasSize(1);
        assertThat(r.skipped().get(0)).contains("broken.png");
        assertThat(log).isEqualTo(r.skipped());
        // Every dog image is blue-ish, every cat red-ish (greyscale cats have equal channels).
        for (int i = 0; i < r.train().size(); i++) {
            int red = r.train().pixel(i, 0, 6, 6), blue = r.train().pixel(i, 2, 6, 6);
            if (r.train().label(i) == 1) {
                assertThat(blue).as("dog %d", i).isGreaterThan(red + 100);
            } else {
                assertThat(red).as("cat %d", i).isGreaterThanOrEqualTo(blue);
            }
        }
        // Same seed, same split; another seed, another split of the same images.
        ImageFolder.Result again = ImageFolder.load(root, new ImageFolder.Options(3, 12, 0.2, 7), null);
        assertThat(pixelsOf(again.test())).isEqualTo(pixelsOf(r.test()));
    }

    @Test
    void greyscaleChannelAndTrainTestFolders() throws IOException {
        mixedFolder(root.resolve("train"));
        Files.createDirectories(root.resolve("test/dogs"));
        ImagesTest.write(root.resolve("test/dogs/x.png"), solid(9, 9, BufferedImage.TYPE_INT_RGB, 0xFF0000C8), "png");
        ImageFolder.Result r = ImageFolder.load(root, new ImageFolder.Options(1, 8, 0.2, 1), null);
        assertThat(r.train().size()).isEqualTo(10);
        assertThat(r.test().size()).isEqualTo(1);
        assertThat(r.test().label(0)).isEqualTo(1);
        assertThat(r.test().channels()).isEqualTo(1);
        assertThat(r.test().pixel(0, 0, 4, 4)).isEqualTo(Math.round(0.114f * 200)); // luma of pure blue 200
    }

    @Test
    void aClassWithoutReadableImagesIsAnErrorNamingIt() throws IOException {
        mixedFolder(root);
        Files.createDirectories(root.resolve("empty"));
        Files.writeString(root.resolve("empty/bad.jpg"), "nope");
        assertThatThrownBy(() -> ImageFolder.load(root, new ImageFolder.Options(3, 8, 0.2, 1), null))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("empty").hasMessageContaining("no readable PNG or JPEG");
    }

    @Test
    void missingRootAndNoClassFoldersAreClearErrors() throws IOException {
        assertThatThrownBy(() -> ImageFolder.load(root.resolve("nope"), new ImageFolder.Options(3, 8, 0.2, 1), null))
                .isInstanceOf(DatasetNotFoundException.class).hasMessageContaining("nope");
        assertThatThrownBy(() -> ImageFolder.load(root, new ImageFolder.Options(3, 8, 0.2, 1), null))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("no class folders");
    }

    private static List<Integer> pixelsOf(ImageDataset d) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            all.add(d.label(i));
            for (int c = 0; c < d.channels(); c++) {
                all.add(d.pixel(i, c, 0, 0));
            }
        }
        return all;
    }
}
