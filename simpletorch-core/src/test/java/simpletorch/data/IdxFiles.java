package simpletorch.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests. */
final class IdxFiles {
    private IdxFiles() {
    }

    /** IDX bytes: big-endian magic, then the header ints, then {@code data}. */
    static byte[] idx(int magic, int[] header, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int h : header) {
            out.writeInt(h);
        }
        out.write(data);
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(raw);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    /** {@code count} images of {@code rows x cols}; pixel k of the file is {@code (k * 7 + seed) mod 256}. */
    static byte[] images(int count, int rows, int cols, int seed) throws IOException {
        byte[] data = new byte[count * rows * cols];
        for (int k = 0; k < data.length; k++) {
            data[k] = (byte) (k * 7 + seed);
        }
        return idx(Idx.IMAGES_MAGIC, new int[] {count, rows, cols}, data);
    }

    /** {@code count} labels {@code i mod 10}. */
    static byte[] labels(int count) throws IOException {
        byte[] data = new byte[count];
        for (int i = 0; i < count; i++) {
            data[i] = (byte) (i % 10);
        }
        return idx(Idx.LABELS_MAGIC, new int[] {count}, data);
    }
}
