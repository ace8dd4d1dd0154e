package simpletorch.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader for the IDX files of MNIST and Fashion-MNIST (format: http://yann.lecun.com/exdb/mnist/, "FILE FORMATS").
 * All integers are big-endian: images start with magic {@code 0x00000803}, count, rows, cols; labels with magic
 * {@code 0x00000801}, count; the data follows as unsigned bytes, row-major. Files may be gzip-compressed;
 * that is detected from the gzip magic bytes {@code 1f 8b}, not from the file name.
 */
public final class Idx {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;

    private Idx() {
    }

    /** The content of an IDX image file: {@code pixels} is {@code [count, rows, cols]}, unsigned. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
    }

    /** Reads an IDX image file (gzipped or not), checking the magic number and that the length is exact. */
    public static Images readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            int[] header = readHeader(in, file, IMAGES_MAGIC, 3, "images");
            int count = header[0], rows = header[1], cols = header[2];
            if (rows <= 0 || cols <= 0) {
                throw new DatasetFormatException(file, "image size must be positive, got " + rows + " x " + cols);
            }
            byte[] pixels = readBody(in, file, (long) count * rows * cols,
                    count + " images of " + rows + " x " + cols);
            return new Images(count, rows, cols, pixels);
        } catch (ZipException | EOFException e) {
            throw new DatasetFormatException(file, "corrupt gzip data: " + e.getMessage(), e);
        }
    }

    /** Reads an IDX label file (gzipped or not), checking every label is in {@code [0, numClasses)}. */
    public static int[] readLabels(Path file, int numClasses) throws IOException {
        try (InputStream in = open(file)) {
            int count = readHeader(in, file, LABELS_MAGIC, 1, "labels")[0];
            byte[] raw = readBody(in, file, count, count + " labels");
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = raw[i] & 0xFF;
                if (labels[i] >= numClasses) {
                    throw new DatasetFormatException(file, "label at index " + i + " is " + labels[i]
                            + ", outside [0, " + numClasses + ")");
                }
            }
            return labels;
        } catch (ZipException | EOFException e) {
            throw new DatasetFormatException(file, "corrupt gzip data: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a pair of image and label files into a single-channel {@link ImageDataset} under
     * {@link Normalize#tutorial}{@code (1)}.
     *
     * @throws DatasetFormatException if either file is malformed or their counts differ
     */
    public static ImageDataset load(String name, Path imagesFile, Path labelsFile, List<String> classes)
            throws IOException {
        Images images = readImages(imagesFile);
        int[] labels = readLabels(labelsFile, classes.size());
        if (labels.length != images.count()) {
            throw new DatasetFormatException(labelsFile, "has " + labels.length + " labels but the images file "
                    + imagesFile + " has " + images.count() + " images");
        }
        return new ImageDataset(name, images.pixels(), labels, 1, images.rows(), images.cols(), classes,
                Normalize.tutorial(1));
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
        }
        return in;
    }

    /** Reads the magic number and {@code dims} sizes; returns the sizes. */
    private static int[] readHeader(InputStream in, Path file, int magic, int dims, String what) throws IOException {
        byte[] header = in.readNBytes(4 + 4 * dims);
        if (header.length >= 4) {
            int actual = ByteBuffer.wrap(header).getInt(0);
            if (actual != magic) {
                throw new DatasetFormatException(file, String.format(
                        "wrong magic number 0x%08X, expected 0x%08X (IDX %s)", actual, magic, what));
            }
        }
        if (header.length < 4 + 4 * dims) {
            throw new DatasetFormatException(file, "truncated header: expected " + (4 + 4 * dims)
                    + " bytes, got " + header.length);
        }
        ByteBuffer bb = ByteBuffer.wrap(header); // big-endian by default
        int[] sizes = new int[dims];
        for (int d = 0; d < dims; d++) {
            sizes[d] = bb.getInt(4 + 4 * d);
            if (sizes[d] < 0) {
                throw new DatasetFormatException(file, "negative size " + sizes[d] + " in header dimension " + d);
            }
        }
        return sizes;
    }

    /** Reads exactly {@code expected} bytes and checks nothing follows. */
    private static byte[] readBody(InputStream in, Path file, long expected, String what) throws IOException {
        if (expected > Integer.MAX_VALUE - 8) {
            throw new DatasetFormatException(file, "header declares " + what + " = " + expected
                    + " bytes, more than one array holds");
        }
        // readNBytes grows its buffer as data arrives, so a lying header cannot force a huge allocation.
        byte[] body = in.readNBytes((int) expected);
        if (body.length < expected) {
            throw new DatasetFormatException(file, "truncated: header declares " + what + ", expected "
                    + expected + " data bytes, got " + body.length);
        }
        if (in.read() != -1) {
            long extra = 1 + in.transferTo(OutputStream.nullOutputStream());
            throw new DatasetFormatException(file, "trailing garbage: " + extra + " bytes after the " + expected
                    + " data bytes of " + what);
        }
        return body;
    }
}
