package dev.klambda.agent;

/**
 * Whether an event is one JSON value (RFC 8259, UTF-8, nesting at most 1,000 deep) and nothing
 * after it: the agent checks what it is handed as the gateway's Invoke API does, without a JSON
 * library, in one pass and without building anything.
 */
final class JsonCheck {
  /** As the gateway's parser (Jackson's default nesting limit). */
  static final int MAX_DEPTH = 1000;

  private final byte[] in;
  private int at;

  private JsonCheck(byte[] in) {
    this.in = in;
  }

  /** Null for one JSON value and nothing after it; else what is wrong, and where. */
  static String problem(byte[] utf8) {
    JsonCheck check = new JsonCheck(utf8);
    try {
      check.document();
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage() + " at byte " + check.at;
    }
  }

  private void document() {
    space();
    if (at == in.length) {
      throw new IllegalArgumentException("empty");
    }
    // containers open and close on an explicit stack: no recursion, whatever the nesting
    byte[] open = new byte[MAX_DEPTH];
    int depth = 0;
    boolean expectValue = true;
    while (true) {
      space();
      if (expectValue) {
        byte b = next("a value");
        if (b == '{' || b == '[') {
          if (depth == MAX_DEPTH) {
            throw new IllegalArgumentException("nesting deeper than " + MAX_DEPTH);
          }
          open[depth++] = b;
          space();
          if (peek() == (b == '{' ? '}' : ']')) {
            at++;
            depth--;
            expectValue = false;
          } else if (b == '{') {
            member();
          }
          continue;
        }
        at--;
        scalar();
        expectValue = false;
        continue;
      }
      if (depth == 0) {
        space();
        if (at != in.length) {
          throw new IllegalArgumentException("unexpected content after the JSON value");
        }
        return;
      }
      byte b = next("',' or the end of the " + (open[depth - 1] == '{' ? "object" : "array"));
      if (b == ',') {
        space();
        if (open[depth - 1] == '{') {
          member();
        }
        expectValue = true;
      } else if (b == (open[depth - 1] == '{' ? '}' : ']')) {
        depth--;
      } else {
        at--;
        throw new IllegalArgumentException(
            "expected ',' or the end of the " + (open[depth - 1] == '{' ? "object" : "array"));
      }
    }
  }

  /** An object member's name and colon; its value follows. */
  private void member() {
    if (peek() != '"') {
      throw new IllegalArgumentException("expected a member name (a string)");
    }
    string();
    space();
    if (next("':'") != ':') {
      at--;
      throw new IllegalArgumentException("expected ':'");
    }
  }

  private void scalar() {
    byte b = peek();
    switch (b) {
      case '"' -> string();
      case 't' -> literal("true");
      case 'f' -> literal("false");
      case 'n' -> literal("null");
      default -> {
        if (b == '-' || b >= '0' && b <= '9') {
          number();
        } else {
          throw new IllegalArgumentException("unexpected character '" + (char) (b & 0xff) + "'");
        }
      }
    }
  }

  private void string() {
    at++; // the opening quote
    while (true) {
      byte b = next("the end of a string");
      if (b == '"') {
        return;
      }
      if (b == '\\') {
        byte e = next("an escape");
        if (e == 'u') {
          for (int i = 0; i < 4; i++) {
            if (Character.digit(next("four hex digits"), 16) < 0) {
              at--;
              throw new IllegalArgumentException("expected four hex digits after \\u");
            }
          }
        } else if ("\"\\/bfnrt".indexOf(e) < 0) {
          at--;
          throw new IllegalArgumentException("invalid escape \\" + (char) (e & 0xff));
        }
      } else if ((b & 0xff) < 0x20) {
        at--;
        throw new IllegalArgumentException("a control character in a string");
      } else if (b < 0) {
        utf8(b);
      }
    }
  }

  /** The continuation bytes of a multi-byte UTF-8 character that began with {@code lead}. */
  private void utf8(byte lead) {
    int more =
        (lead & 0xe0) == 0xc0 ? 1 : (lead & 0xf0) == 0xe0 ? 2 : (lead & 0xf8) == 0xf0 ? 3 : -1;
    if (more < 0 || (lead & 0xff) < 0xc2 || (lead & 0xff) > 0xf4) {
      at--;
      throw new IllegalArgumentException("invalid UTF-8");
    }
    for (int i = 0; i < more; i++) {
      if ((next("UTF-8") & 0xc0) != 0x80) {
        at--;
        throw new IllegalArgumentException("invalid UTF-8");
      }
    }
  }

  private void number() {
    if (peek() == '-') {
      at++;
    }
    if (peek() == '0') {
      at++;
    } else {
      digits();
    }
    if (peek() == '.') {
      at++;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      at++;
      if (peek() == '+' || peek() == '-') {
        at++;
      }
      digits();
    }
  }

  private void digits() {
    if (!(peek() >= '0' && peek() <= '9')) {
      throw new IllegalArgumentException("expected a digit");
    }
    while (peek() >= '0' && peek() <= '9') {
      at++;
    }
  }

  private void literal(String word) {
    for (int i = 0; i < word.length(); i++) {
      if (next(word) != word.charAt(i)) {
        at--;
        throw new IllegalArgumentException("expected " + word);
      }
    }
  }

  private void space() {
    while (at < in.length
        && (in[at] == ' ' || in[at] == '\t' || in[at] == '\n' || in[at] == '\r')) {
      at++;
    }
  }

  /** The next byte, or 0 at the end. */
  private byte peek() {
    return at < in.length ? in[at] : 0;
  }

  private byte next(String expected) {
    if (at >= in.length) {
      throw new IllegalArgumentException("the payload ends where " + expected + " should be");
    }
    return in[at++];
  }
}
