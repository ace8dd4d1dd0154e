package simpletorch.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The strict subset of JSON (RFC 8259) that a safetensors header needs, read and written by hand so that the
 * engine has no third-party dependency. See the format at https://github.com/huggingface/safetensors.
 *
 * <p>Values map to Java as: object → {@link LinkedHashMap} in file order, array → {@link List}, string →
 * {@link String}, integer → {@link Long}, other numbers → {@link Double}, {@code true/false} → {@link Boolean},
 * {@code null} → {@link #NULL}. Anything malformed is rejected with its character position: duplicate keys,
 * lone surrogates, control characters in strings, leading zeros, integers outside {@code long}, trailing
 * content, and nesting deeper than {@link #MAX_DEPTH} (so a hostile header cannot overflow the stack).
 */
final class Json {
    /** JSON {@code null}; a sentinel so that maps never hold Java null. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    static final int MAX_DEPTH = 64;

    /** Malformed JSON; the message gives the character position. */
    static final class SyntaxException extends Exception {
        SyntaxException(String message, int pos) {
            super(message + " at position " + pos);
        }
    }

    private final String s;
    private int pos;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value surrounded by optional whitespace. */
    static Object parse(String text) throws SyntaxException {
        Json p = new Json(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw new SyntaxException("unexpected " + p.describe() + " after the JSON value", p.pos);
        }
        return value;
    }

    private Object value(int depth) throws SyntaxException {
        if (pos >= s.length()) {
            throw new SyntaxException("unexpected end of input, expected a value", pos);
        }
        char c = s.charAt(pos);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw new SyntaxException("unexpected " + describe() + ", expected a value", pos);
        }
    }

    private Map<String, Object> object(int depth) throws SyntaxException {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw new SyntaxException("expected a string key but found " + describe(), pos);
            }
            int keyPos = pos;
            String key = string();
            if (map.containsKey(key)) {
                throw new SyntaxException("duplicate key \"" + key + "\"", keyPos);
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, value(depth));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == '}') {
                pos++;
                return map;
            } else {
                throw new SyntaxException("expected ',' or '}' but found " + describe(), pos);
            }
        }
    }

    private List<Object> array(int depth) throws SyntaxException {
        checkDepth(depth);
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == ']') {
                pos++;
                return list;
            } else {
                throw new SyntaxException("expected ',' or ']' but found " + describe(), pos);
            }
        }
    }

    private String string() throws SyntaxException {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                throw new SyntaxException("unterminated string starting", start);
            }
            char c = s.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c < 0x20) {
                throw new SyntaxException(String.format("control character U+%04X in a string", (int) c), pos);
            }
            if (c != '\\') {
                // The text came from a strict UTF-8 decoder, so surrogates here are always paired.
                sb.append(c);
                pos++;
                continue;
            }
            int escPos = pos;
            pos++;
            if (pos >= s.length()) {
                throw new SyntaxException("unterminated escape", escPos);
            }
            char e = s.charAt(pos++);
            switch (e) {
                case '"': sb.append('"'); break;
                case '\\': sb.append('\\'); break;
                case '/': sb.append('/'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u': {
                    char u = hex4(escPos);
                    if (Character.isHighSurrogate(u)) {
                        int lowPos = pos;
                        if (pos + 1 < s.length() && s.charAt(pos) == '\\' && s.charAt(pos + 1) == 'u') {
                            pos += 2;
                            char low = hex4(lowPos);
                            if (!Character.isLowSurrogate(low)) {
                                throw new SyntaxException(String.format(
                                        "high surrogate \\u%04X followed by \\u%04X, not a low surrogate",
                                        (int) u, (int) low), lowPos);
                            }
                            sb.append(u).append(low);
                        } else {
                            throw new SyntaxException(String.format("lone high surrogate \\u%04X", (int) u), escPos);
                        }
                    } else if (Character.isLowSurrogate(u)) {
                        throw new SyntaxException(String.format("lone low surrogate \\u%04X", (int) u), escPos);
                    } else {
                        sb.append(u);
                    }
                    break;
                }
                default:
                    throw new SyntaxException("invalid escape '\\" + printable(e) + "'", escPos);
            }
        }
    }

    private char hex4(int escPos) throws SyntaxException {
        if (pos + 4 > s.length()) {
            throw new SyntaxException("truncated \\u escape", escPos);
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos + i), 16);
            // Character.digit also accepts non-ASCII digits; JSON allows only [0-9a-fA-F].
            if (d < 0 || s.charAt(pos + i) > 'f') {
                throw new SyntaxException("invalid \\u escape", escPos);
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() throws SyntaxException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw new SyntaxException("leading zero in a number", start);
            }
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw new SyntaxException("expected a digit but found " + describe(), pos);
        }
        boolean integer = true;
        if (peek() == '.') {
            integer = false;
            pos++;
            if (!isDigit(peek())) {
                throw new SyntaxException("expected a digit after '.' but found " + describe(), pos);
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw new SyntaxException("expected a digit in the exponent but found " + describe(), pos);
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String text = s.substring(start, pos);
        if (!integer) {
            return Double.parseDouble(text);
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException ex) {
            throw new SyntaxException("integer " + text + " does not fit in 64 bits", start);
        }
    }

    private void literal(String word) throws SyntaxException {
        if (!s.startsWith(word, pos)) {
            throw new SyntaxException("unexpected " + describe() + ", expected a value", pos);
        }
        pos += word.length();
    }

    private void expect(char c) throws SyntaxException {
        if (peek() != c) {
            throw new SyntaxException("expected '" + c + "' but found " + describe(), pos);
        }
        pos++;
    }

    private void checkDepth(int depth) throws SyntaxException {
        if (depth > MAX_DEPTH) {
            throw new SyntaxException("nesting deeper than " + MAX_DEPTH, pos);
        }
    }

    private void skipWhitespace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** The current char, or -1 at the end. */
    private int peek() {
        return pos < s.length() ? s.charAt(pos) : -1;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private String describe() {
        return pos >= s.length() ? "end of input" : "'" + printable(s.charAt(pos)) + "'";
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04X", (int) c);
    }

    // ---- writing ----------------------------------------------------------------------------------------------

    /**
     * Appends {@code value} as a JSON string literal: quotes, backslashes and control characters escaped,
     * everything else (non-ASCII included) written as is, like serde_json.
     *
     * @throws IllegalArgumentException if {@code value} holds a lone surrogate, which UTF-8 cannot encode
     */
    static void writeString(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(i + 1))) {
                        out.append(c).append(value.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        throw new IllegalArgumentException(String.format(
                                "string has a lone surrogate U+%04X at index %d: %s", (int) c, i, value));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
