package dev.klambda.agent;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The little JSON the agent writes and reads itself; it has no JSON library, to start fast. */
final class Json {
  private static final Pattern STRING_FIELD =
      Pattern.compile("\"(%s)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  private Json() {}

  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** Lambda's error object, as the Invoke API returns it. */
  static String error(String errorType, String errorMessage) {
    return "{\"errorMessage\":" + quote(errorMessage) + ",\"errorType\":" + quote(errorType) + "}";
  }

  /** The value of a top-level string field, or null; enough for error objects runtimes post. */
  static String stringField(String json, String field) {
    Matcher m =
        Pattern.compile(String.format(STRING_FIELD.pattern(), Pattern.quote(field))).matcher(json);
    return m.find() ? m.group(2) : null;
  }
}
