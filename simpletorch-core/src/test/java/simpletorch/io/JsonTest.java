package simpletorch.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {

    @Test
    void parsesNestedValuesInOrder() throws Exception {
        Object v = Json.parse(" {\"b\": [1, -2, 3.5e1, true, false, null, {}], \"a\": {\"x\": \"y\"}, \"c\": []} \n");
        assertThat(v).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        assertThat(m.keySet()).containsExactly("b", "a", "c");
        assertThat(m.get("b")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST).containsExactly(1L, -2L, 35.0, true, false, Json.NULL, Map.of());
        assertThat(m.get("a")).isEqualTo(Map.of("x", "y"));
        assertThat(m.get("c")).isEqualTo(List.of());
    }

    @Test
    void decodesEscapesAndSurrogatePairs() throws Exception {
        Object v = Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\uD83D\\uDE00 ü\"");
        assertThat(v).isEqualTo("q\" b\\ s/ \b\f\n\r\t é \uD83D\uDE00 ü");
    }

    @Test
    void parsesLongExtremes() throws Exception {
        assertThat(Json.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(Json.parse("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(Json.parse("-0")).isEqualTo(0L);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``                              | unexpected end of input, expected a value at position 0",
        "`{`                             | expected a string key but found end of input at position 1",
        "`{\"a\":1,}`                    | expected a string key but found '}' at position 7",
        "`{\"a\" 1}`                     | expected ':' but found '1' at position 5",
        "`{\"a\":1 \"b\":2}`             | expected ',' or '}' but found '\"' at position 7",
        "`{\"a\":1,\"a\":2}`             | duplicate key \"a\" at position 7",
        "`[1,]`                          | unexpected ']', expected a value at position 3",
        "`[1 2]`                         | expected ',' or ']' but found '2' at position 3",
        "`{} x`                          | unexpected 'x' after the JSON value at position 3",
        "`\"abc`                         | unterminated string starting at position 0",
        "`\"a\\x\"`                      | invalid escape '\\x' at position 2",
        "`\"\\u12G4\"`                   | invalid \\u escape at position 1",
        "`\"\\u12\"`                     | truncated \\u escape at position 1",
        "`\"\\uD83D\"`                   | lone high surrogate \\uD83D at position 1",
        "`\"\\uD83Dx\"`                  | lone high surrogate \\uD83D at position 1",
        "`\"\\uD83D\\u0041\"`            | high surrogate \\uD83D followed by \\u0041, not a low surrogate at position 7",
        "`\"\\uDE00\"`                   | lone low surrogate \\uDE00 at position 1",
        "`01`                            | leading zero in a number at position 0",
        "`-`                             | expected a digit but found end of input at position 1",
        "`1.`                            | expected a digit after '.' but found end of input at position 2",
        "`1e+`                           | expected a digit in the exponent but found end of input at position 3",
        "`9223372036854775808`           | integer 9223372036854775808 does not fit in 64 bits at position 0",
        "`tru`                           | unexpected 't', expected a value at position 0",
        "`NaN`                           | unexpected 'N', expected a value at position 0",
        "`+1`                            | unexpected '+', expected a value at position 0",
    })
    void rejectsMalformedInputWithPosition(String text, String message) {
        assertThatThrownBy(() -> Json.parse(text))
                .isInstanceOf(Json.SyntaxException.class)
                .hasMessage(message);
    }

    @Test
    void rejectsControlCharacterInString() {
        assertThatThrownBy(() -> Json.parse("\"a\u0001\""))
                .isInstanceOf(Json.SyntaxException.class)
                .hasMessage("control character U+0001 in a string at position 2");
    }

    @Test
    void rejectsDeepNestingInsteadOfOverflowingTheStack() throws Exception {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertThat(Json.parse(ok)).isInstanceOf(List.class);
        String deep = "[".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep))
                .isInstanceOf(Json.SyntaxException.class)
                .hasMessage("nesting deeper than " + Json.MAX_DEPTH + " at position " + Json.MAX_DEPTH);
    }

    @Test
    void writerEscapesAndRoundTrips() throws Exception {
        String tricky = "q\" b\\ \n\r\t\b\f \u0000\u001f é \uD83D\uDE00 /";
        StringBuilder sb = new StringBuilder();
        Json.writeString(sb, tricky);
        assertThat(sb.toString()).isEqualTo("\"q\\\" b\\\\ \\n\\r\\t\\b\\f \\u0000\\u001f é \uD83D\uDE00 /\"");
        assertThat(Json.parse(sb.toString())).isEqualTo(tricky);
    }

    @Test
    void writerRejectsLoneSurrogates() {
        assertThatThrownBy(() -> Json.writeString(new StringBuilder(), "a\uD83Db"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lone surrogate U+D83D at index 1");
    }
}
