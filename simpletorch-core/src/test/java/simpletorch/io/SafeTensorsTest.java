package simpletorch.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.io.Crafted.bytes;
import static simpletorch.io.Crafted.concat;
import static simpletorch.io.Crafted.f32;
import static simpletorch.io.Crafted.file;
import static simpletorch.io.Crafted.le64;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import simpletorch.tensor.Tensor;

class SafeTensorsTest {
    @TempDir
    Path dir;

    // ---- round trips and the bytes on disk --------------------------------------------------------------------

    @Test
    void roundTripsTensorsIncludingScalarAndEmptyInOrder() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("z.weight", Tensor.of(new float[] {1f, -2f, 3.25f, Float.MIN_VALUE, -0f, 1e30f}, 2, 3));
        tensors.put("a.scalar", Tensor.scalar(-7.5f));
        tensors.put("m.empty", Tensor.zeros(0));
        tensors.put("m.empty2d", Tensor.zeros(2, 0, 3));
        tensors.put("special", Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, 3));
        Path f = dir.resolve("model.safetensors");

        SafeTensors.write(f, tensors);
        SafeTensorsFile read = SafeTensors.read(f);

        assertThat(read.tensors().keySet()).containsExactly("z.weight", "a.scalar", "m.empty", "m.empty2d", "special");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor got = read.tensor(e.getKey());
            assertThat(got.shape()).as(e.getKey()).isEqualTo(e.getValue().shape());
            // Compare bit patterns so that -0 and NaN must survive too.
            assertThat(bits(got.data())).as(e.getKey()).isEqualTo(bits(e.getValue().data()));
        }
        assertThat(read.dtypes().values()).containsOnly("F32");
        assertThat(read.longs()).isEmpty();
        assertThat(read.metadata()).isEmpty();
        assertThat(read.tensor("a.scalar").dim()).isZero();
    }

    @Test
    void roundTripsMetadataWithCharactersThatNeedEscaping() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "quote \" backslash \\ newline \n tab \t nul \u0000 é \uD83D\uDE00");
        metadata.put("ключ", "");
        Path f = dir.resolve("m.safetensors");

        SafeTensors.write(f, Map.of("w", Tensor.ones(2)), metadata);

        SafeTensorsFile read = SafeTensors.read(f);
        assertThat(read.metadata()).containsExactlyEntriesOf(metadata);
        assertThat(read.tensor("w").data()).containsExactly(1f, 1f);
    }

    @Test
    void writesExactlyTheBytesTheSpecDescribes() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Tensor.of(new float[] {1.0f, -2.5f}, 2));
        tensors.put("b", Tensor.scalar(0.5f));
        Path f = dir.resolve("tiny.safetensors");

        SafeTensors.write(f, tensors, Map.of("k", "v"));

        byte[] bytes = Files.readAllBytes(f);
        String json = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}";
        assertThat(json.length()).isEqualTo(132); // so the padding below is 4 spaces
        String padded = json + "    ";
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getLong()).isEqualTo(136L);
        assertThat(new String(bytes, 8, 136, StandardCharsets.UTF_8)).isEqualTo(padded);
        // 1.0f = 0x3F800000, -2.5f = 0xC0200000, 0.5f = 0x3F000000, least significant byte first
        assertThat(Arrays.copyOfRange(bytes, 144, bytes.length)).containsExactly(
                bytes(0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0x00, 0x00, 0x00, 0x3F));
    }

    @Test
    void emptyMetadataAndNoTensorsGiveAnEmptyObject() throws IOException {
        Path f = dir.resolve("empty.safetensors");
        SafeTensors.write(f, Map.of(), Map.of());
        assertThat(Files.readAllBytes(f)).containsExactly(concat(le64(8), "{}      ".getBytes(StandardCharsets.US_ASCII)));
        SafeTensorsFile read = SafeTensors.read(f);
        assertThat(read.tensors()).isEmpty();
        assertThat(read.metadata()).isEmpty();
    }

    // ---- other dtypes -----------------------------------------------------------------------------------------

    @Test
    void convertsEveryDtypeToFloatAndKeepsExactIntegers() throws IOException {
        Path f = write("dtypes.safetensors", Crafted.everyDtype());

        SafeTensorsFile read = SafeTensors.read(f);

        assertThat(read.metadata()).containsEntry("format", "pt").containsEntry("note", "café \uD83D\uDE00");
        assertThat(read.tensor("f64").data()).containsExactly((float) (1.0 / 3), -2.5f);
        assertThat(read.tensor("f32").shape()).containsExactly(2, 1);
        assertThat(read.tensor("f32").data()).containsExactly(1.5f, -0.25f);
        assertThat(read.tensor("f16").data()).containsExactly(1f, -2f, 0x1p-24f);
        assertThat(read.tensor("bf16").shape()).isEmpty();
        assertThat(read.tensor("bf16").item()).isEqualTo(-3.5f);
        assertThat(read.tensor("i64").data()).containsExactly((float) ((1L << 53) + 1), -3f);
        assertThat(read.longs().get("i64")).containsExactly((1L << 53) + 1, -3L);
        assertThat(read.longs().get("i32")).containsExactly(-7L);
        assertThat(read.longs().get("i16")).containsExactly(-32768L);
        assertThat(read.longs().get("i8")).containsExactly(-1L);
        assertThat(read.longs().get("u8")).containsExactly(255L);
        assertThat(read.longs().get("bool")).containsExactly(0L, 1L);
        assertThat(read.tensor("bool").data()).containsExactly(0f, 1f);
        assertThat(read.tensor("empty").shape()).containsExactly(0, 3);
        assertThat(read.longs()).doesNotContainKeys("f64", "f32", "f16", "bf16", "empty");
        assertThat(read.dtypes()).containsEntry("f16", "F16").containsEntry("i64", "I64").containsEntry("bool", "BOOL");
    }

    @Test
    void halfToFloatMatchesTheIeeeFormulaForAllBitPatterns() {
        for (int h = 0; h < 0x10000; h++) {
            int sign = h >>> 15;
            int exp = (h >>> 10) & 0x1f;
            int mant = h & 0x3ff;
            double expected;
            if (exp == 0x1f) {
                expected = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (exp == 0) {
                expected = mant * Math.pow(2, -24);
            } else {
                expected = (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            }
            expected = sign == 1 ? -expected : expected;
            float got = SafeTensors.halfToFloat((short) h);
            assertThat(Float.floatToIntBits(got)).as("half bits 0x%04X", h)
                    .isEqualTo(Float.floatToIntBits((float) expected));
        }
    }

    // ---- rejections -------------------------------------------------------------------------------------------

    private static final String W8 = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    static Stream<Arguments> malformedFiles() {
        byte[] eight = f32(1f, 2f);
        byte[] twelve = f32(1f, 2f, 3f);
        return Stream.of(
                Arguments.of("shorter than 8 bytes", bytes(1, 0, 0, 0, 0),
                        "file is 5 bytes, too short for the 8-byte header length"),
                Arguments.of("header length over the limit", concat(le64(100_000_001L), "{}".getBytes()),
                        "header length 100000001 exceeds the limit of 100000000 bytes"),
                Arguments.of("header length 2^64-1", concat(le64(-1L), "{}".getBytes()),
                        "header length 18446744073709551615 exceeds the limit"),
                Arguments.of("header length past the end", concat(le64(100), "{}".getBytes()),
                        "header length 100 runs past the end of the file (10 bytes, so at most 2 header bytes)"),
                Arguments.of("invalid UTF-8", file(bytes('{', '"', 0xC3, 0x28, '"', ':', '1', '}'), new byte[0]),
                        "header is not valid UTF-8 (invalid byte sequence at header byte 2)"),
                Arguments.of("invalid JSON", file("{\"w\":}", new byte[0]),
                        "header is not valid JSON: unexpected '}', expected a value at position 5"),
                Arguments.of("not an object", file("[1,2]", new byte[0]),
                        "header is not a JSON object but an array"),
                Arguments.of("leading whitespace", file(" {}", new byte[0]),
                        "header does not start with '{'"),
                Arguments.of("duplicate keys", file("{" + W8 + "," + W8 + "}", eight),
                        "header is not valid JSON: duplicate key \"w\" at position 54"),
                Arguments.of("entry not an object", file("{\"w\":[1]}", new byte[0]),
                        "tensor \"w\" is an array, not an object"),
                Arguments.of("missing dtype", file("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", eight),
                        "tensor \"w\" has no \"dtype\""),
                Arguments.of("missing shape", file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", eight),
                        "tensor \"w\" has no \"shape\""),
                Arguments.of("missing data_offsets", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", eight),
                        "tensor \"w\" has no \"data_offsets\""),
                Arguments.of("dtype not a string", tensor("5", "[2]", "[0,8]", eight),
                        "tensor \"w\" has a dtype that is a number 5, not a string"),
                Arguments.of("unsupported dtype", tensor("\"U16\"", "[4]", "[0,8]", eight),
                        "unsupported dtype U16 for tensor \"w\""),
                Arguments.of("shape not an array", tensor("\"F32\"", "\"2\"", "[0,8]", eight),
                        "tensor \"w\" has a shape that is a string \"2\", not an array of integers"),
                Arguments.of("fractional dimension", tensor("\"F32\"", "[2.0]", "[0,8]", eight),
                        "tensor \"w\" has a shape whose element 0 is a number 2.0, not an integer"),
                Arguments.of("negative dimension", tensor("\"F32\"", "[2,-1]", "[0,8]", eight),
                        "tensor \"w\" has negative dimension -1 in shape [2, -1]"),
                Arguments.of("dimension beyond int", tensor("\"F32\"", "[2147483648]", "[0,8]", eight),
                        "tensor \"w\" has dimension 2147483648 in shape [2147483648], larger than 2147483647"),
                Arguments.of("element count overflows",
                        tensor("\"F32\"", "[2147483647,2147483647,2147483647]", "[0,8]", eight),
                        "tensor \"w\" has shape [2147483647, 2147483647, 2147483647] whose element count overflows 64 bits"),
                Arguments.of("byte size overflows", tensor("\"F32\"", "[2147483647,2147483647,2]", "[0,8]", eight),
                        "tensor \"w\" has shape [2147483647, 2147483647, 2] whose size in F32 bytes overflows 64 bits"),
                Arguments.of("offsets not a pair", tensor("\"F32\"", "[2]", "[0,8,9]", eight),
                        "tensor \"w\" has data_offsets [0, 8, 9], expected [begin, end]"),
                Arguments.of("offsets wrong type", tensor("\"F32\"", "[2]", "{}", eight),
                        "tensor \"w\" has a data_offsets that is an object, not an array of integers"),
                Arguments.of("negative offsets", tensor("\"F32\"", "[0]", "[-4,-4]", eight),
                        "tensor \"w\" has negative data_offsets [-4, -4]"),
                Arguments.of("begin > end", tensor("\"F32\"", "[2]", "[8,0]", eight),
                        "tensor \"w\" has data_offsets [8, 0] with begin > end"),
                Arguments.of("end past the buffer", tensor("\"F32\"", "[4]", "[0,16]", eight),
                        "tensor \"w\" has data_offsets [0, 16] that end past the data buffer of 8 bytes"),
                Arguments.of("size does not match shape", tensor("\"F32\"", "[3]", "[0,8]", eight),
                        "tensor \"w\" has data_offsets [0, 8] spanning 8 bytes, but shape [3] of F32 needs 12"),
                Arguments.of("size does not match dtype", tensor("\"I64\"", "[2]", "[0,8]", eight),
                        "tensor \"w\" has data_offsets [0, 8] spanning 8 bytes, but shape [2] of I64 needs 16"),
                Arguments.of("overlap", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", twelve),
                        "tensor \"b\" at data_offsets [4, 12] overlaps tensor \"a\", which ends at 8"),
                Arguments.of("same range twice", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight),
                        "tensor \"b\" at data_offsets [0, 8] overlaps tensor \"a\", which ends at 8"),
                Arguments.of("hole", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", twelve),
                        "hole of 4 bytes in the data buffer between 4 and tensor \"b\" at 8"),
                Arguments.of("hole at the start", tensor("\"F32\"", "[1]", "[4,8]", eight),
                        "hole of 4 bytes in the data buffer between 0 and tensor \"w\" at 4"),
                Arguments.of("trailing bytes", file("{" + W8 + "}", twelve),
                        "4 trailing bytes: the tensors end at 8 but the data buffer is 12 bytes"),
                Arguments.of("data but no tensors", file("{}", eight),
                        "8 trailing bytes: the tensors end at 0 but the data buffer is 8 bytes"),
                Arguments.of("metadata value not a string", file("{\"__metadata__\":{\"k\":1}}", new byte[0]),
                        "__metadata__ value for key \"k\" is a number 1, not a string"),
                Arguments.of("metadata value null", file("{\"__metadata__\":{\"k\":null}}", new byte[0]),
                        "__metadata__ value for key \"k\" is null, not a string"),
                Arguments.of("metadata not an object", file("{\"__metadata__\":[\"k\"]}", new byte[0]),
                        "__metadata__ is an array, not an object"),
                Arguments.of("nesting too deep", file("{\"w\":" + "[".repeat(1000) + "}", new byte[0]),
                        "header is not valid JSON: nesting deeper than 64"));
    }

    private static byte[] tensor(String dtype, String shape, String offsets, byte[] data) {
        return file("{\"w\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}", data);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("malformedFiles")
    void rejectsMalformedFilesNamingTheFileAndTheProblem(String what, byte[] content, String problem)
            throws IOException {
        Path f = write("bad.safetensors", content);
        assertThatThrownBy(() -> SafeTensors.read(f))
                .isInstanceOf(SafeTensorsException.class)
                .hasMessageStartingWith(f + ": ")
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(((SafeTensorsException) e).file()).isEqualTo(f));
    }

    @Test
    void acceptsWhatTheFormatAllows() throws IOException {
        // Padding after the object, a null __metadata__, unknown fields, a zero-size tensor sharing an offset,
        // and key order that differs from data order.
        String header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8],\"extra\":true},"
                + "\"__metadata__\":null,"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}   \n ";
        Path f = write("ok.safetensors", file(header, f32(1f, 2f)));

        SafeTensorsFile read = SafeTensors.read(f);

        assertThat(read.tensors().keySet()).containsExactly("b", "a", "e");
        assertThat(read.tensor("a").data()).containsExactly(1f);
        assertThat(read.tensor("b").data()).containsExactly(2f);
        assertThat(read.metadata()).isEmpty();
    }

    // ---- atomic writes ----------------------------------------------------------------------------------------

    @Test
    void successfulWriteReplacesTheFileAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        SafeTensors.write(f, Map.of("w", Tensor.ones(3)));
        SafeTensors.write(f, Map.of("v", Tensor.full(2f, 2)));

        assertThat(listDir()).containsExactly("ckpt.safetensors");
        SafeTensorsFile read = SafeTensors.read(f);
        assertThat(read.tensors().keySet()).containsExactly("v");
        assertThat(read.tensor("v").data()).containsExactly(2f, 2f);
    }

    @Test
    void invalidInputLeavesTheOldFileIntactAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        SafeTensors.write(f, Map.of("w", Tensor.ones(3)));
        byte[] before = Files.readAllBytes(f);
        Map<String, Tensor> withNull = new LinkedHashMap<>();
        withNull.put("a", Tensor.ones(2));
        withNull.put("b", null);

        assertThatThrownBy(() -> SafeTensors.write(f, withNull))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor \"b\" is null");
        assertThatThrownBy(() -> SafeTensors.write(f, Map.of("__metadata__", Tensor.ones(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a tensor must not be named __metadata__");
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertThatThrownBy(() -> SafeTensors.write(f, Map.of("w", Tensor.ones(1)), nullValue))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        assertThat(listDir()).containsExactly("ckpt.safetensors");
    }

    @Test
    void failureAfterTheTemporaryFileWasWrittenDeletesIt() throws IOException {
        // The rename fails because the target is a non-empty directory: the data has been written and forced
        // by then, so this exercises the clean-up path, and the "old file" (the directory) must survive.
        Path target = dir.resolve("ckpt.safetensors");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "old");

        assertThatThrownBy(() -> SafeTensors.write(target, Map.of("w", Tensor.ones(1000))))
                .isInstanceOf(IOException.class);

        assertThat(listDir()).containsExactly("ckpt.safetensors");
        assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("old");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private Path write(String name, byte[] content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}
