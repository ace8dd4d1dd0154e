package simpletorch.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG and JPEG files (anything {@code javax.imageio} reads) into uint8 CHW images of a fixed size, the
 * way torchvision's {@code Resize(size)} then {@code CenterCrop(size)} does: the shorter side is scaled to
 * {@code size} with an antialiased bilinear (triangle) filter, as Pillow does, then the centre
 * {@code size x size} square is kept.
 *
 * <p>Colour: RGB, or greyscale ({@code L = 0.299 R + 0.587 G + 0.114 B}, Pillow's {@code convert("L")}) when
 * one channel is asked for. Transparent pixels are composited on white, so a transparent PNG background becomes
 * white rather than the undefined colour stored under alpha 0. Greyscale sources are read from their raster
 * directly: {@code BufferedImage.getRGB} would pass them through a linear-to-sRGB conversion and brighten them.
 */
public final class Images {
    /** Pillow's decompression-bomb limit ({@code Image.MAX_IMAGE_PIXELS} x 2): refuse anything larger. */
    public static final long MAX_PIXELS = 178_956_970L;

    private Images() {
    }

    /**
     * Reads {@code file}, resizes its shorter side to {@code size}, centre-crops it to {@code size x size}.
     *
     * @param channels 3 for RGB, 1 for greyscale
     * @return {@code channels * size * size} unsigned bytes in CHW order
     * @throws DatasetFormatException naming the file if it is not a readable image, or declares more than
     *                                {@link #MAX_PIXELS} pixels (checked from the header, before decoding)
     */
    public static byte[] loadAndResize(Path file, int channels, int size) throws IOException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (size <= 0) {
            throw new IllegalArgumentException("size must be > 0, got " + size);
        }
        BufferedImage image = read(file);
        return resizeAndCrop(image, channels, size);
    }

    /**
     * Decodes {@code file}, refusing images that declare more than {@link #MAX_PIXELS} pixels before any pixel
     * memory is allocated (ImageIO allocates from the declared size).
     */
    public static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DatasetFormatException(file, "not a regular file");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new DatasetFormatException(file, "cannot be opened for reading");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DatasetFormatException(file, "not a readable image (no PNG/JPEG/GIF/BMP signature)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w <= 0 || h <= 0) {
                    throw new DatasetFormatException(file, "declares an empty image of " + w + " x " + h);
                }
                if ((long) w * h > MAX_PIXELS) {
                    throw new DatasetFormatException(file, "declares " + w + " x " + h + " = " + (long) w * h
                            + " pixels, more than the limit of " + MAX_PIXELS + " (possible decompression bomb)");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (DatasetFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO throws IIOException, and for some corrupt streams runtime exceptions, from deep inside.
            throw new DatasetFormatException(file, "not a readable image: " + e, e);
        }
    }

    /**
     * Resizes {@code image}'s shorter side to {@code size} and centre-crops to {@code size x size}.
     *
     * @return {@code channels * size * size} unsigned bytes in CHW order
     */
    public static byte[] resizeAndCrop(BufferedImage image, int channels, int size) {
        int w = image.getWidth(), h = image.getHeight();
        // Scaled size with the shorter side = size, as torchvision's Resize(int) (truncating the longer side).
        int sw, sh;
        if (w <= h) {
            sw = size;
            sh = Math.max(size, (int) ((long) size * h / w));
        } else {
            sh = size;
            sw = Math.max(size, (int) ((long) size * w / h));
        }
        int x0 = (sw - size) / 2, y0 = (sh - size) / 2; // centre crop: half the excess on each side, rounded down

        // Horizontal pass row by row from the source, computing only the columns the crop keeps, so just
        // [C, h, size] floats are held besides the decoded image.
        Filter fx = new Filter(w, sw);
        float[][] rows = new float[channels][w];
        float[] tmp = new float[channels * h * size]; // [C, h, size]
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            readRow(image, y, channels, rows, argb);
            for (int c = 0; c < channels; c++) {
                fx.apply(rows[c], 0, 1, tmp, (c * h + y) * size, 1, x0, size);
            }
        }
        // Vertical pass, only for the rows the crop keeps.
        Filter fy = new Filter(h, sh);
        float[] column = new float[h];
        float[] outCol = new float[size];
        byte[] out = new byte[channels * size * size]; // [C, size, size]
        for (int c = 0; c < channels; c++) {
            for (int x = 0; x < size; x++) {
                for (int y = 0; y < h; y++) {
                    column[y] = tmp[(c * h + y) * size + x];
                }
                fy.apply(column, 0, 1, outCol, 0, 1, y0, size);
                for (int y = 0; y < size; y++) {
                    int v = Math.round(outCol[y]);
                    out[(c * size + y) * size + x] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
        return out;
    }

    /** Row {@code y} of {@code image} as 0..255 floats per channel, alpha composited on white. */
    private static void readRow(BufferedImage image, int y, int channels, float[][] rows, int[] argb) {
        int w = image.getWidth();
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY && raster.getNumBands() <= 2) {
            int bits = cm.getComponentSize(0);
            boolean alpha = raster.getNumBands() == 2;
            int alphaBits = alpha ? cm.getComponentSize(1) : 8;
            float max = (1 << bits) - 1, alphaMax = (1 << alphaBits) - 1;
            for (int x = 0; x < w; x++) {
                float g = raster.getSample(x, y, 0) * 255f / max;
                if (alpha) {
                    float a = raster.getSample(x, y, 1) / alphaMax;
                    g = g * a + 255f * (1 - a);
                }
                for (int c = 0; c < channels; c++) {
                    rows[c][x] = g;
                }
            }
            return;
        }
        image.getRGB(0, y, w, 1, argb, 0, w);
        for (int x = 0; x < w; x++) {
            int p = argb[x];
            float a = (p >>> 24) / 255f;
            float r = ((p >> 16) & 0xFF) * a + 255f * (1 - a);
            float g = ((p >> 8) & 0xFF) * a + 255f * (1 - a);
            float b = (p & 0xFF) * a + 255f * (1 - a);
            if (channels == 1) {
                rows[0][x] = 0.299f * r + 0.587f * g + 0.114f * b;
            } else {
                rows[0][x] = r;
                rows[1][x] = g;
                rows[2][x] = b;
            }
        }
    }

    /**
     * Precomputed 1-D resampling weights from {@code in} to {@code out} samples with a triangle filter whose
     * support widens with the downscale factor (Pillow's antialiased BILINEAR): area-like averaging when
     * shrinking, bilinear interpolation when enlarging.
     */
    private static final class Filter {
        final int[] first;      // [out]: first source index
        final float[][] weights; // [out][taps], normalised to sum 1

        Filter(int in, int out) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale; // the triangle filter has radius 1, stretched by filterScale
            first = new int[out];
            weights = new float[out][];
            for (int i = 0; i < out; i++) {
                double center = (i + 0.5) * scale;
                int lo = (int) Math.max(0, Math.floor(center - support));
                int hi = (int) Math.min(in, Math.ceil(center + support));
                double[] k = new double[Math.max(1, hi - lo)];
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    double t = Math.abs((j + 0.5 - center) / filterScale);
                    double v = t < 1 ? 1 - t : 0;
                    k[j - lo] = v;
                    sum += v;
                }
                if (sum == 0) { // cannot happen for in >= 1, but never divide by zero
                    lo = Math.min(in - 1, (int) center);
                    k = new double[] {1};
                    sum = 1;
                }
                float[] wts = new float[k.length];
                for (int j = 0; j < k.length; j++) {
                    wts[j] = (float) (k[j] / sum);
                }
                first[i] = lo;
                weights[i] = wts;
            }
        }

        /** Writes outputs {@code from .. from+count)} to {@code dst[dstOff + (i-from)*dstStride]}. */
        void apply(float[] src, int srcOff, int srcStride, float[] dst, int dstOff, int dstStride, int from, int count) {
            for (int i = from; i < from + count; i++) {
                float[] wts = weights[i];
                int s = srcOff + first[i] * srcStride;
                float acc = 0;
                for (int j = 0; j < wts.length; j++) {
                    acc += wts[j] * src[s + j * srcStride];
                }
                dst[dstOff + (i - from) * dstStride] = acc;
            }
        }
    }
}
