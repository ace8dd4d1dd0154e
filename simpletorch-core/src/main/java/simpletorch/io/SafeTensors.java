package simpletorch.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import simpletorch.tensor.Tensor;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length {@code N}, {@code N} bytes of UTF-8 JSON
 * ({@code {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, "__metadata__": {...}}}),
 * then the tensors' bytes, little-endian and row-major, with offsets relative to the end of the header.
 *
 * <p>The reader validates like the reference implementation: a bounded header, strict UTF-8 and JSON, no
 * duplicate keys, every tensor's byte range exactly {@code product(shape) x dtype size}, ranges that tile the
 * data buffer from 0 with no overlap, hole or trailing byte, and checked arithmetic throughout. Any violation is
 * a {@link SafeTensorsException} naming the file and the values that were wrong.
 *
 * <p>The writer writes float32 tensors in the map's iteration order, and replaces the target atomically: a crash
 * or error leaves either the old file or the new one, never a torn one.
 */
public final class SafeTensors {
    /** The reference implementation's limit on the JSON header, in bytes. */
    public static final long MAX_HEADER_SIZE = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    /** Bytes read or written per I/O call; a multiple of every dtype size so no element straddles two chunks. */
    private static final int CHUNK = 1 << 16;
    /** The largest Java array length that every JVM grants. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The dtypes this reader converts; the format knows others (U16, U32, U64, F8_*, ...), which it rejects. */
    private enum Dtype {
        BOOL(1, true), U8(1, true), I8(1, true), I16(2, true), I32(4, true), I64(8, true),
        F16(2, false), BF16(2, false), F32(4, false), F64(8, false);

        final int size;
        final boolean integral;

        Dtype(int size, boolean integral) {
            this.size = size;
            this.integral = integral;
        }

        static Dtype parse(String name) {
            for (Dtype d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
            return null;
        }
    }

    /** One header entry, validated. */
    private record Entry(String name, Dtype dtype, int[] shape, long numel, long begin, long end) {}

    private SafeTensors() {}

    // ---- writing ----------------------------------------------------------------------------------------------

    /** Writes {@code tensors} with no metadata; see {@link #write(Path, Map, Map)}. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} as F32 in the map's iteration order (use a {@link LinkedHashMap} to fix it), their
     * bytes contiguous in that order, the header padded with spaces to a multiple of 8 bytes as the reference
     * writer does. {@code __metadata__} is written only when {@code metadata} is not empty.
     *
     * <p>Atomic: the bytes go to a temporary file beside {@code file}, are forced to disk, and the temporary
     * file is renamed over {@code file}. On any failure the temporary file is deleted and an existing
     * {@code file} is left as it was. Nothing is modified besides {@code file}.
     *
     * @throws IllegalArgumentException if a name, tensor or metadata entry is null, a tensor is named
     *                                  {@code __metadata__}, or a string holds a lone surrogate
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
        // Everything that can be checked is checked before the disk is touched.
        List<Map.Entry<String, Tensor>> entries = new ArrayList<>(tensors.entrySet());
        byte[] header = header(entries, metadata);

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        try {
            FileChannel ch = null;
            for (int attempt = 0; ch == null; attempt++) {
                tmp = dir.resolve("." + target.getFileName() + ".tmp-" + Long.toHexString(RANDOM.nextLong()));
                try {
                    ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException e) {
                    if (attempt >= 10) {
                        throw e;
                    }
                    tmp = null;
                }
            }
            try (FileChannel out = ch) {
                ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                buf.putLong(header.length);
                for (int i = 0; i < header.length; ) {
                    int n = Math.min(buf.remaining(), header.length - i);
                    buf.put(header, i, n);
                    i += n;
                    if (!buf.hasRemaining()) {
                        drain(out, buf);
                    }
                }
                for (Map.Entry<String, Tensor> e : entries) {
                    for (float v : e.getValue().data()) {
                        if (buf.remaining() < Float.BYTES) {
                            drain(out, buf);
                        }
                        buf.putFloat(v);
                    }
                }
                drain(out, buf);
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable t) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    t.addSuppressed(e);
                }
            }
            throw t;
        }
        forceDirectory(dir);
    }

    /** The header JSON, padded with spaces to a multiple of 8 bytes. */
    private static byte[] header(List<Map.Entry<String, Tensor>> entries, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            Json.writeString(json, METADATA_KEY);
            json.append(":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (m.getKey() == null || m.getValue() == null) {
                    throw new IllegalArgumentException("metadata must not hold null keys or values, got "
                            + m.getKey() + "=" + m.getValue());
                }
                if (!first) {
                    json.append(',');
                }
                first = false;
                Json.writeString(json, m.getKey());
                json.append(':');
                Json.writeString(json, m.getValue());
            }
            json.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : entries) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null) {
                throw new IllegalArgumentException("tensor names must not be null");
            }
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor must not be named " + METADATA_KEY);
            }
            if (t == null) {
                throw new IllegalArgumentException("tensor \"" + name + "\" is null");
            }
            if (json.length() > 1) {
                json.append(',');
            }
            long end = offset + (long) t.numel() * Float.BYTES;
            Json.writeString(json, name);
            json.append(":{\"dtype\":\"F32\",\"shape\":[");
            int[] shape = t.shape();
            for (int d = 0; d < shape.length; d++) {
                json.append(d == 0 ? "" : ",").append(shape[d]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] utf8 = json.toString().getBytes(StandardCharsets.UTF_8);
        // Pad so the data buffer starts 8-byte aligned (8 + N is a multiple of 8), as the reference does.
        int padded = (utf8.length + 7) / 8 * 8;
        if (padded > MAX_HEADER_SIZE) {
            throw new IllegalArgumentException("the header would be " + padded + " bytes, over the format's limit of "
                    + MAX_HEADER_SIZE);
        }
        byte[] header = Arrays.copyOf(utf8, padded);
        Arrays.fill(header, utf8.length, padded, (byte) ' ');
        return header;
    }

    private static void drain(FileChannel out, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            out.write(buf);
        }
        buf.clear();
    }

    /** Makes the rename durable. Best effort: some platforms (Windows) cannot open a directory. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the file itself is already on disk; only the rename's durability is at stake
        }
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    /**
     * Reads every tensor in {@code file}, converting F64, F16, BF16 and the integer and bool dtypes to float32;
     * integer and bool tensors' exact values are also in {@link SafeTensorsFile#longs()}.
     *
     * @throws SafeTensorsException if the file is malformed or holds a dtype this reader does not convert
     * @throws IOException          if the file cannot be read
     */
    public static SafeTensorsFile read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, ch);
        }
    }

    /**
     * Reads from {@code ch} (its whole size, from position 0); {@code file} only names it in messages.
     * Package-private so that tests can feed bytes from memory.
     */
    static SafeTensorsFile read(Path file, SeekableByteChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafeTensorsException(file, "file is " + size
                    + " bytes, too short for the 8-byte header length");
        }
        long n = readBytes(file, ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        // n is a u64; a negative long is a value above 2^63.
        if (n < 0 || n > MAX_HEADER_SIZE) {
            throw new SafeTensorsException(file, "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_SIZE + " bytes");
        }
        if (n > size - 8) {
            throw new SafeTensorsException(file, "header length " + n + " runs past the end of the file ("
                    + size + " bytes, so at most " + (size - 8) + " header bytes)");
        }
        String json = decodeUtf8(file, readBytes(file, ch, 8, (int) n));
        long dataStart = 8 + n;
        long bufferLength = size - dataStart;
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = parseHeader(file, json, bufferLength, entries);
        checkLayout(file, entries, bufferLength);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        Map<String, long[]> longs = new LinkedHashMap<>();
        for (Entry e : entries) {
            float[] values = new float[(int) e.numel];
            long[] exact = e.dtype.integral ? new long[(int) e.numel] : null;
            readValues(file, ch, dataStart + e.begin, e.dtype, values, exact);
            tensors.put(e.name, new Tensor(values, e.shape));
            dtypes.put(e.name, e.dtype.name());
            if (exact != null) {
                longs.put(e.name, exact);
            }
        }
        return new SafeTensorsFile(tensors, dtypes, longs, metadata);
    }

    private static String decodeUtf8(Path file, ByteBuffer bytes) throws SafeTensorsException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsException(file, "header is not valid UTF-8 (invalid byte sequence at header byte "
                    + bytes.position() + ")", e);
        }
    }

    /** Parses and type-checks the header; fills {@code entries} in header order and returns the metadata. */
    private static Map<String, String> parseHeader(Path file, String json, long bufferLength, List<Entry> entries)
            throws SafeTensorsException {
        Object root;
        try {
            root = Json.parse(json);
        } catch (Json.SyntaxException e) {
            throw new SafeTensorsException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map)) {
            throw new SafeTensorsException(file, "header is not a JSON object but " + kind(root));
        }
        if (!json.startsWith("{")) {
            // The reference rejects this too, so that a header cannot hide bytes in front of the object.
            throw new SafeTensorsException(file, "header does not start with '{'");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, Object> kv : asObject(root).entrySet()) {
            String name = kv.getKey();
            Object value = kv.getValue();
            if (name.equals(METADATA_KEY)) {
                if (value == Json.NULL) {
                    continue;
                }
                if (!(value instanceof Map)) {
                    throw new SafeTensorsException(file, METADATA_KEY + " is " + kind(value) + ", not an object");
                }
                for (Map.Entry<String, Object> m : asObject(value).entrySet()) {
                    if (!(m.getValue() instanceof String)) {
                        throw new SafeTensorsException(file, METADATA_KEY + " value for key \"" + m.getKey()
                                + "\" is " + kind(m.getValue()) + ", not a string");
                    }
                    metadata.put(m.getKey(), (String) m.getValue());
                }
                continue;
            }
            entries.add(parseEntry(file, name, value, bufferLength));
        }
        return metadata;
    }

    private static Entry parseEntry(Path file, String name, Object value, long bufferLength)
            throws SafeTensorsException {
        String where = "tensor \"" + name + "\"";
        if (!(value instanceof Map)) {
            throw new SafeTensorsException(file, where + " is " + kind(value) + ", not an object");
        }
        Map<String, Object> info = asObject(value);
        for (String field : new String[] {"dtype", "shape", "data_offsets"}) {
            if (!info.containsKey(field)) {
                throw new SafeTensorsException(file, where + " has no \"" + field + "\"");
            }
        }
        if (!(info.get("dtype") instanceof String)) {
            throw new SafeTensorsException(file, where + " has a dtype that is " + kind(info.get("dtype"))
                    + ", not a string");
        }
        String dtypeName = (String) info.get("dtype");
        Dtype dtype = Dtype.parse(dtypeName);
        if (dtype == null) {
            throw new SafeTensorsException(file, "unsupported dtype " + dtypeName + " for tensor \"" + name
                    + "\" (supported: " + Arrays.toString(Dtype.values()) + ")");
        }
        long[] dims = longArray(file, where, "shape", info.get("shape"));
        int[] shape = new int[dims.length];
        long numel = 1;
        for (int d = 0; d < dims.length; d++) {
            if (dims[d] < 0) {
                throw new SafeTensorsException(file, where + " has negative dimension " + dims[d] + " in shape "
                        + Arrays.toString(dims));
            }
            if (dims[d] > Integer.MAX_VALUE) {
                throw new SafeTensorsException(file, where + " has dimension " + dims[d] + " in shape "
                        + Arrays.toString(dims) + ", larger than " + Integer.MAX_VALUE);
            }
            shape[d] = (int) dims[d];
            try {
                numel = Math.multiplyExact(numel, dims[d]);
            } catch (ArithmeticException e) {
                throw new SafeTensorsException(file, where + " has shape " + Arrays.toString(dims)
                        + " whose element count overflows 64 bits");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, (long) dtype.size);
        } catch (ArithmeticException e) {
            throw new SafeTensorsException(file, where + " has shape " + Arrays.toString(dims) + " whose size in "
                    + dtype + " bytes overflows 64 bits");
        }
        long[] offsets = longArray(file, where, "data_offsets", info.get("data_offsets"));
        if (offsets.length != 2) {
            throw new SafeTensorsException(file, where + " has data_offsets " + Arrays.toString(offsets)
                    + ", expected [begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < 0) {
            throw new SafeTensorsException(file, where + " has negative data_offsets " + Arrays.toString(offsets));
        }
        if (begin > end) {
            throw new SafeTensorsException(file, where + " has data_offsets " + Arrays.toString(offsets)
                    + " with begin > end");
        }
        if (end > bufferLength) {
            throw new SafeTensorsException(file, where + " has data_offsets " + Arrays.toString(offsets)
                    + " that end past the data buffer of " + bufferLength + " bytes");
        }
        if (end - begin != bytes) {
            throw new SafeTensorsException(file, where + " has data_offsets " + Arrays.toString(offsets)
                    + " spanning " + (end - begin) + " bytes, but shape " + Arrays.toString(dims) + " of "
                    + dtype + " needs " + bytes);
        }
        if (numel > MAX_ELEMENTS) {
            throw new SafeTensorsException(file, where + " has " + numel
                    + " elements, more than a Java array can hold");
        }
        return new Entry(name, dtype, shape, numel, begin, end);
    }

    /** The byte ranges, sorted by begin, must tile [0, bufferLength) exactly. */
    private static void checkLayout(Path file, List<Entry> entries, long bufferLength) throws SafeTensorsException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.begin < expected) {
                throw new SafeTensorsException(file, "tensor \"" + e.name + "\" at data_offsets [" + e.begin + ", "
                        + e.end + "] overlaps tensor \"" + previous + "\", which ends at " + expected);
            }
            if (e.begin > expected) {
                throw new SafeTensorsException(file, "hole of " + (e.begin - expected) + " bytes in the data buffer"
                        + " between " + expected + " and tensor \"" + e.name + "\" at " + e.begin);
            }
            expected = e.end;
            previous = e.name;
        }
        if (expected != bufferLength) {
            throw new SafeTensorsException(file, (bufferLength - expected) + " trailing bytes: the tensors end at "
                    + expected + " but the data buffer is " + bufferLength + " bytes");
        }
    }

    private static void readValues(Path file, SeekableByteChannel ch, long position, Dtype dtype, float[] values,
                                   long[] exact) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, (long) values.length * dtype.size))
                .order(ByteOrder.LITTLE_ENDIAN);
        int i = 0;
        while (i < values.length) {
            int count = Math.min(values.length - i, CHUNK / dtype.size);
            buf.clear().limit(count * dtype.size);
            readFully(file, ch, buf, position);
            position += (long) count * dtype.size;
            buf.flip();
            for (int k = 0; k < count; k++, i++) {
                switch (dtype) {
                    case F32 -> values[i] = buf.getFloat();
                    case F64 -> values[i] = (float) buf.getDouble();
                    case F16 -> values[i] = halfToFloat(buf.getShort());
                    case BF16 -> values[i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                    case I64 -> exact[i] = buf.getLong();
                    case I32 -> exact[i] = buf.getInt();
                    case I16 -> exact[i] = buf.getShort();
                    case I8 -> exact[i] = buf.get();
                    case U8 -> exact[i] = buf.get() & 0xff;
                    case BOOL -> exact[i] = buf.get() != 0 ? 1 : 0;
                }
                if (exact != null) {
                    values[i] = exact[i];
                }
            }
        }
    }

    /** IEEE 754 half precision to float; exact, since every half value is a float value. */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        float magnitude;
        if (exp == 0) {
            magnitude = mant * 0x1p-24f; // zero and subnormals
        } else if (exp == 0x1f) {
            magnitude = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat(((exp - 15 + 127) << 23) | (mant << 13));
        }
        return (h & 0x8000) != 0 ? -magnitude : magnitude;
    }

    private static ByteBuffer readBytes(Path file, SeekableByteChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        readFully(file, ch, buf, position);
        return buf.flip();
    }

    private static void readFully(Path file, SeekableByteChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.position(position).read(buf);
            if (n < 0) {
                throw new SafeTensorsException(file, "file ended at byte " + position
                        + " while reading; was it truncated while being read?");
            }
            position += n;
        }
    }

    private static long[] longArray(Path file, String where, String field, Object value) throws SafeTensorsException {
        if (!(value instanceof List)) {
            throw new SafeTensorsException(file, where + " has a " + field + " that is " + kind(value)
                    + ", not an array of integers");
        }
        List<?> list = (List<?>) value;
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long)) {
                throw new SafeTensorsException(file, where + " has a " + field + " whose element " + i + " is "
                        + kind(list.get(i)) + ", not an integer");
            }
            out[i] = (Long) list.get(i);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(Object value) {
        return (Map<String, Object>) value;
    }

    /** A JSON value's kind and, for a scalar, its text, for messages. */
    private static String kind(Object value) {
        if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List) {
            return "an array";
        }
        String text = String.valueOf(value);
        if (text.length() > 40) {
            text = text.substring(0, 40) + "...";
        }
        if (value instanceof String) {
            return "a string \"" + text + "\"";
        } else if (value instanceof Long || value instanceof Double) {
            return "a number " + text;
        } else if (value instanceof Boolean) {
            return "a boolean " + text;
        }
        return "null";
    }
}
