package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The agent's JSON check accepts what the gateway's parser accepts, and refuses the rest. */
class JsonCheckTest {
  @Test
  void oneJsonValueOfAnyKindPasses() {
    for (String valid :
        new String[] {
          "{}",
          "[]",
          "{\"a\":1}",
          " {\"a\" : [1, -2.5e3, true, false, null, \"x\"]} ",
          "\"text\"",
          "0",
          "-0.1",
          "12E+3",
          "true",
          "null",
          "[[[[]]]]",
          "{\"\\u00e9\\n\":\"é\"}",
          "\"😀\"",
          "{\"nested\":{\"a\":[{\"b\":{}}]}}"
        }) {
      assertThat(JsonCheck.problem(valid.getBytes(StandardCharsets.UTF_8))).as(valid).isNull();
    }
  }

  @Test
  void anythingElseIsRefusedWithWhereAndWhy() {
    assertThat(JsonCheck.problem(bytes(""))).startsWith("empty");
    assertThat(JsonCheck.problem(bytes("not json"))).isEqualTo("expected null at byte 1");
    assertThat(JsonCheck.problem(bytes("<xml/>"))).startsWith("unexpected character '<'");
    assertThat(JsonCheck.problem(bytes("{\"a\":1} {}")))
        .startsWith("unexpected content after the JSON value");
    assertThat(JsonCheck.problem(bytes("{\"a\":1,}"))).startsWith("expected a member name");
    assertThat(JsonCheck.problem(bytes("[1,]"))).startsWith("unexpected character ']'");
    assertThat(JsonCheck.problem(bytes("{\"a\" 1}"))).startsWith("expected ':'");
    assertThat(JsonCheck.problem(bytes("{\"a\":1"))).startsWith("the payload ends where");
    assertThat(JsonCheck.problem(bytes("\"\\x\""))).startsWith("invalid escape");
    assertThat(JsonCheck.problem(bytes("\"a\tb\""))).startsWith("a control character in a string");
    assertThat(JsonCheck.problem(bytes("tru"))).startsWith("the payload ends where true should be");
    assertThat(JsonCheck.problem(bytes("-"))).startsWith("expected a digit");
    assertThat(JsonCheck.problem(new byte[] {'"', (byte) 0xff, '"'})).startsWith("invalid UTF-8");
    assertThat(JsonCheck.problem(bytes("[".repeat(1001) + "]".repeat(1001))))
        .startsWith("nesting deeper than 1000");
    assertThat(JsonCheck.problem(bytes("[".repeat(1000) + "]".repeat(1000)))).isNull();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
