package simpletorch.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import simpletorch.tensor.Tensor;

/**
 * Mutates valid files at random and checks that the reader either succeeds or throws
 * {@link SafeTensorsException}: never an unchecked exception, an error, or an allocation sized by the input.
 */
class SafeTensorsFuzzTest {
    private static final long SEED = 20240611L;
    private static final int ITERATIONS = 3000;

    @TempDir
    Path dir;

    @Test
    void mutatedFilesAreReadOrRejectedWithSafeTensorsException() throws IOException {
        Path written = dir.resolve("written.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("conv.weight", Tensor.full(0.5f, 2, 1, 3, 3));
        tensors.put("conv.bias", Tensor.of(new float[] {1f, -1f}, 2));
        tensors.put("scalar", Tensor.scalar(3f));
        tensors.put("empty", Tensor.zeros(0, 4));
        SafeTensors.write(written, tensors, Map.of("format", "pt"));
        byte[][] seeds = {Files.readAllBytes(written), Crafted.everyDtype()};

        Random rnd = new Random(SEED);
        Path f = dir.resolve("fuzz.safetensors");
        int accepted = 0;
        int rejected = 0;
        for (int it = 0; it < ITERATIONS; it++) {
            byte[] mutated = mutate(seeds[it % seeds.length], rnd);
            // Mostly from memory, which is what makes thousands of cases cheap; every 50th through the disk.
            boolean viaDisk = it % 50 == 0;
            if (viaDisk) {
                Files.write(f, mutated);
            }
            if (readsOrRejects(f, mutated, viaDisk, it)) {
                accepted++;
            } else {
                rejected++;
            }
        }
        // Both outcomes must occur, or the mutations are not reaching the interesting code.
        assertThat(rejected).isGreaterThan(ITERATIONS / 2);
        assertThat(accepted).isGreaterThan(0);
    }

    /** True if {@code f} was read, false if it was rejected with {@link SafeTensorsException}; fails otherwise. */
    private static boolean readsOrRejects(Path f, byte[] content, boolean viaDisk, int iteration) {
        try {
            if (viaDisk) {
                SafeTensors.read(f);
            } else {
                SafeTensors.read(f, new MemoryChannel(content));
            }
            return true;
        } catch (SafeTensorsException e) {
            assertThat(e.getMessage()).startsWith(f + ": ");
            return false;
        } catch (Throwable t) {
            throw new AssertionError("iteration " + iteration + " (seed " + SEED + "): expected SafeTensorsException"
                    + " but got " + t + "\nfile: " + HexFormat.of().formatHex(content), t);
        }
    }

    private static byte[] mutate(byte[] original, Random rnd) {
        byte[] b = original.clone();
        int headerEnd = 8 + (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong();
        switch (rnd.nextInt(7)) {
            case 0 -> { // flip a few bits, mostly in the header where the parsing happens
                int flips = 1 + rnd.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    int i = rnd.nextInt(10) < 8 ? rnd.nextInt(headerEnd) : rnd.nextInt(b.length);
                    b[i] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> { // replace a byte with a random one
                b[rnd.nextInt(headerEnd)] = (byte) rnd.nextInt(256);
            }
            case 2 -> { // replace a JSON character with one that matters to the grammar or the numbers
                String interesting = "0123456789-+.eE{}[]\",:\\u ";
                int i = 8 + rnd.nextInt(headerEnd - 8);
                b[i] = (byte) interesting.charAt(rnd.nextInt(interesting.length()));
            }
            case 3 -> { // truncate
                b = Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            case 4 -> { // append junk
                byte[] junk = new byte[1 + rnd.nextInt(16)];
                rnd.nextBytes(junk);
                b = Crafted.concat(b, junk);
            }
            case 5 -> { // a nearby or wild header length
                long n = headerEnd - 8;
                long v = rnd.nextBoolean() ? n + rnd.nextInt(33) - 16 : rnd.nextLong();
                System.arraycopy(Crafted.le64(v), 0, b, 0, 8);
            }
            default -> { // delete a header byte and keep the declared length (shifts everything by one)
                int i = 8 + rnd.nextInt(headerEnd - 8);
                byte[] shorter = new byte[b.length - 1];
                System.arraycopy(b, 0, shorter, 0, i);
                System.arraycopy(b, i + 1, shorter, i, b.length - i - 1);
                b = shorter;
            }
        }
        return b;
    }

    /** A read-only channel over a byte array. */
    private static final class MemoryChannel implements SeekableByteChannel {
        private final byte[] bytes;
        private long position;

        MemoryChannel(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), bytes.length - position);
            dst.put(bytes, (int) position, n);
            position += n;
            return n;
        }

        @Override
        public int write(ByteBuffer src) {
            throw new NonWritableChannelException();
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            position = newPosition;
            return this;
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public SeekableByteChannel truncate(long size) {
            throw new NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }
}
