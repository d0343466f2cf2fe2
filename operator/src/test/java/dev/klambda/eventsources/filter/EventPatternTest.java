package dev.klambda.eventsources.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventPatternTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Patterns and records are written with ' for " to keep them readable. */
  private static boolean matches(String pattern, String record) {
    return RecordFilter.of(List.of(pattern.replace('\'', '"'))).accepts(json(record));
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text.replace('\'', '"'));
    } catch (JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }

  private static void rejects(String pattern, String message) {
    assertThatThrownBy(() -> RecordFilter.of(List.of(pattern.replace('\'', '"'))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void exactValuesOfEachType() {
    assertThat(matches("{'a': ['x', 'y']}", "{'a': 'y'}")).isTrue();
    assertThat(matches("{'a': ['x', 'y']}", "{'a': 'z'}")).isFalse();
    assertThat(matches("{'a': [5]}", "{'a': 5}")).isTrue();
    assertThat(matches("{'a': [5]}", "{'a': 5.0}")).as("numbers compare by value").isTrue();
    assertThat(matches("{'a': [5]}", "{'a': '5'}")).as("a string is not a number").isFalse();
    assertThat(matches("{'a': ['5']}", "{'a': 5}")).isFalse();
    assertThat(matches("{'a': [true]}", "{'a': true}")).isTrue();
    assertThat(matches("{'a': [true]}", "{'a': 'true'}")).isFalse();
    assertThat(matches("{'a': [null]}", "{'a': null}")).isTrue();
    assertThat(matches("{'a': [null]}", "{'b': 1}")).as("absent is not null").isFalse();
    assertThat(matches("{'a': ['']}", "{'a': ''}")).isTrue();
    assertThat(matches("{'a': ['x']}", "{'a': 'X'}")).as("case-sensitive").isFalse();
  }

  @Test
  void keysAreAndedAndMustBePresent() {
    assertThat(matches("{'a': ['x'], 'b': [1]}", "{'a': 'x', 'b': 1, 'c': 2}")).isTrue();
    assertThat(matches("{'a': ['x'], 'b': [1]}", "{'a': 'x', 'b': 2}")).isFalse();
    assertThat(matches("{'a': ['x'], 'b': [1]}", "{'a': 'x'}")).isFalse();
  }

  @Test
  void nestedObjects() {
    String pattern = "{'body': {'order': {'state': ['paid'], 'total': [{'numeric': ['>', 100]}]}}}";
    assertThat(matches(pattern, "{'body': {'order': {'state': 'paid', 'total': 150}}}")).isTrue();
    assertThat(matches(pattern, "{'body': {'order': {'state': 'paid', 'total': 50}}}")).isFalse();
    assertThat(matches(pattern, "{'body': {'order': {'state': 'paid'}}}")).isFalse();
    assertThat(matches(pattern, "{'body': 'plain text'}"))
        .as("a string where an object is expected")
        .isFalse();
    assertThat(matches(pattern, "{'other': 1}")).isFalse();
  }

  @Test
  void arrayFieldsMatchWhenAnyElementDoes() {
    assertThat(matches("{'tags': ['red']}", "{'tags': ['blue', 'red']}")).isTrue();
    assertThat(matches("{'tags': ['red']}", "{'tags': ['blue', 'green']}")).isFalse();
    assertThat(matches("{'tags': ['red']}", "{'tags': []}")).isFalse();
    assertThat(matches("{'n': [{'numeric': ['>', 10]}]}", "{'n': [1, 20]}")).isTrue();
    String nested = "{'items': {'sku': ['A'], 'qty': [2]}}";
    assertThat(matches(nested, "{'items': [{'sku': 'B', 'qty': 2}, {'sku': 'A', 'qty': 2}]}"))
        .isTrue();
    assertThat(matches(nested, "{'items': [{'sku': 'B', 'qty': 2}, {'sku': 'A', 'qty': 1}]}"))
        .as("both keys must match within one element")
        .isFalse();
  }

  @Test
  void prefixAndSuffix() {
    assertThat(matches("{'r': [{'prefix': 'us-'}]}", "{'r': 'us-east-1'}")).isTrue();
    assertThat(matches("{'r': [{'prefix': 'us-'}]}", "{'r': 'eu-west-1'}")).isFalse();
    assertThat(matches("{'r': [{'prefix': 'us-'}]}", "{'r': 'US-east-1'}")).isFalse();
    assertThat(matches("{'r': [{'prefix': {'equals-ignore-case': 'us-'}}]}", "{'r': 'US-east-1'}"))
        .isTrue();
    assertThat(matches("{'r': [{'prefix': '1'}]}", "{'r': 12}")).as("strings only").isFalse();
    assertThat(matches("{'f': [{'suffix': '.png'}]}", "{'f': 'cat.png'}")).isTrue();
    assertThat(matches("{'f': [{'suffix': '.png'}]}", "{'f': 'cat.PNG'}")).isFalse();
    assertThat(matches("{'f': [{'suffix': {'equals-ignore-case': '.png'}}]}", "{'f': 'cat.PNG'}"))
        .isTrue();
    assertThat(matches("{'f': [{'suffix': '.png'}]}", "{'f': 'png'}")).isFalse();
    assertThat(matches("{'f': [{'suffix': ''}]}", "{'f': 'x'}")).isTrue();
  }

  @Test
  void equalsIgnoreCase() {
    assertThat(matches("{'n': [{'equals-ignore-case': 'alice'}]}", "{'n': 'ALICE'}")).isTrue();
    assertThat(matches("{'n': [{'equals-ignore-case': 'alice'}]}", "{'n': 'alicia'}")).isFalse();
    assertThat(matches("{'n': [{'equals-ignore-case': 'alice'}]}", "{'m': 'alice'}")).isFalse();
  }

  @Test
  void wildcard() {
    assertThat(matches("{'p': [{'wildcard': 'dir/*.png'}]}", "{'p': 'dir/a/b.png'}")).isTrue();
    assertThat(matches("{'p': [{'wildcard': 'dir/*.png'}]}", "{'p': 'dir/a.jpg'}")).isFalse();
    assertThat(matches("{'p': [{'wildcard': '*/lib/*'}]}", "{'p': 'x/lib/y'}")).isTrue();
    assertThat(matches("{'p': [{'wildcard': 'a.c'}]}", "{'p': 'abc'}")).as("no regex").isFalse();
    assertThat(matches("{'p': [{'wildcard': 'a*'}]}", "{'p': 'a\\nb'}"))
        .as("across lines")
        .isTrue();
    assertThat(matches("{'p': [{'wildcard': 'a\\\\*'}]}", "{'p': 'a*'}"))
        .as("escaped star")
        .isTrue();
    assertThat(matches("{'p': [{'wildcard': 'a\\\\*'}]}", "{'p': 'ab'}")).isFalse();
  }

  @Test
  void anythingBut() {
    assertThat(matches("{'s': [{'anything-but': 'init'}]}", "{'s': 'running'}")).isTrue();
    assertThat(matches("{'s': [{'anything-but': 'init'}]}", "{'s': 'init'}")).isFalse();
    assertThat(matches("{'s': [{'anything-but': 'init'}]}", "{'t': 'x'}"))
        .as("the field must exist")
        .isFalse();
    assertThat(matches("{'s': [{'anything-but': ['a', 'b']}]}", "{'s': 'b'}")).isFalse();
    assertThat(matches("{'s': [{'anything-but': ['a', 'b']}]}", "{'s': 'c'}")).isTrue();
    assertThat(matches("{'n': [{'anything-but': [1, 2]}]}", "{'n': 2.0}")).isFalse();
    assertThat(matches("{'n': [{'anything-but': 1}]}", "{'n': 3}")).isTrue();
    assertThat(matches("{'r': [{'anything-but': {'prefix': 'us-'}}]}", "{'r': 'eu-west-1'}"))
        .isTrue();
    assertThat(matches("{'r': [{'anything-but': {'prefix': 'us-'}}]}", "{'r': 'us-east-1'}"))
        .isFalse();
    assertThat(matches("{'f': [{'anything-but': {'suffix': '.png'}}]}", "{'f': 'a.png'}"))
        .isFalse();
    assertThat(matches("{'f': [{'anything-but': {'suffix': '.png'}}]}", "{'f': 'a.gif'}")).isTrue();
    assertThat(
            matches("{'s': [{'anything-but': {'equals-ignore-case': 'init'}}]}", "{'s': 'INIT'}"))
        .isFalse();
    assertThat(
            matches("{'s': [{'anything-but': {'equals-ignore-case': ['a', 'b']}}]}", "{'s': 'B'}"))
        .isFalse();
    assertThat(
            matches("{'s': [{'anything-but': {'equals-ignore-case': ['a', 'b']}}]}", "{'s': 'c'}"))
        .isTrue();
    assertThat(matches("{'p': [{'anything-but': {'wildcard': '*/lib/*'}}]}", "{'p': 'a/lib/b'}"))
        .isFalse();
    assertThat(matches("{'p': [{'anything-but': {'wildcard': '*/lib/*'}}]}", "{'p': 'a/bin/b'}"))
        .isTrue();
  }

  @Test
  void numericComparisons() {
    String range = "{'price': [{'numeric': ['>', 0, '<=', 5]}]}";
    assertThat(matches(range, "{'price': 5}")).isTrue();
    assertThat(matches(range, "{'price': 0.5}")).isTrue();
    assertThat(matches(range, "{'price': 0}")).isFalse();
    assertThat(matches(range, "{'price': 5.01}")).isFalse();
    assertThat(matches(range, "{'price': '3'}")).as("numbers only").isFalse();
    assertThat(matches("{'p': [{'numeric': ['=', 3]}]}", "{'p': 3.0}")).isTrue();
    assertThat(matches("{'p': [{'numeric': ['=', 3]}]}", "{'p': 4}")).isFalse();
    assertThat(matches("{'p': [{'numeric': ['<', -1.5]}]}", "{'p': -2}")).isTrue();
    assertThat(matches("{'p': [{'numeric': ['>=', 10]}]}", "{'p': 10}")).isTrue();
    assertThat(matches("{'p': [{'numeric': ['>=', 10]}]}", "{'p': 9.999}")).isFalse();
    assertThat(matches("{'p': [{'numeric': ['<', 10]}]}", "{'p': 10}")).isFalse();
  }

  @Test
  void existsLooksForALeafValue() {
    assertThat(matches("{'a': [{'exists': true}]}", "{'a': 'x'}")).isTrue();
    assertThat(matches("{'a': [{'exists': true}]}", "{'a': null}")).isTrue();
    assertThat(matches("{'a': [{'exists': true}]}", "{'b': 'x'}")).isFalse();
    assertThat(matches("{'a': [{'exists': false}]}", "{'b': 'x'}")).isTrue();
    assertThat(matches("{'a': [{'exists': false}]}", "{'a': 1}")).isFalse();
    assertThat(matches("{'a': [{'exists': false}]}", "{'a': []}"))
        .as("an empty array has no value")
        .isTrue();
    assertThat(matches("{'a': [{'exists': true}]}", "{'a': {'b': 1}}"))
        .as("an object is no leaf")
        .isFalse();
    assertThat(matches("{'a': {'b': [{'exists': false}]}}", "{'c': 1}"))
        .as("absent parents")
        .isTrue();
    assertThat(matches("{'a': {'b': [{'exists': false}]}}", "{'a': {'b': 'x'}}")).isFalse();
    assertThat(matches("{'a': ['x', {'exists': false}]}", "{}")).as("ORed with a value").isTrue();
  }

  @Test
  void cidr() {
    assertThat(matches("{'ip': [{'cidr': '10.0.0.0/24'}]}", "{'ip': '10.0.0.255'}")).isTrue();
    assertThat(matches("{'ip': [{'cidr': '10.0.0.0/24'}]}", "{'ip': '10.0.1.1'}")).isFalse();
    assertThat(matches("{'ip': [{'cidr': '10.0.0.0/8'}]}", "{'ip': '10.200.3.4'}")).isTrue();
    assertThat(matches("{'ip': [{'cidr': '0.0.0.0/0'}]}", "{'ip': '8.8.8.8'}")).isTrue();
    assertThat(matches("{'ip': [{'cidr': '10.0.0.0/24'}]}", "{'ip': 'not-an-ip'}")).isFalse();
    assertThat(matches("{'ip': [{'cidr': '10.0.0.0/24'}]}", "{'ip': '10.0.0.256'}")).isFalse();
    assertThat(matches("{'ip': [{'cidr': '2001:db8::/32'}]}", "{'ip': '2001:db8:1::7'}")).isTrue();
    assertThat(matches("{'ip': [{'cidr': '2001:db8::/32'}]}", "{'ip': '2001:db9::7'}")).isFalse();
    assertThat(matches("{'ip': [{'cidr': '2001:db8::/32'}]}", "{'ip': '10.0.0.1'}")).isFalse();
  }

  @Test
  void orAlternatives() {
    String pattern =
        "{'kind': ['order'], '$or': [{'total': [{'numeric': ['>', 100]}]}, {'vip': [true]}]}";
    assertThat(matches(pattern, "{'kind': 'order', 'total': 150}")).isTrue();
    assertThat(matches(pattern, "{'kind': 'order', 'total': 10, 'vip': true}")).isTrue();
    assertThat(matches(pattern, "{'kind': 'order', 'total': 10}")).isFalse();
    assertThat(matches(pattern, "{'kind': 'refund', 'vip': true}"))
        .as("ANDed with the other keys")
        .isFalse();
    String nested = "{'body': {'$or': [{'a': ['1']}, {'b': {'c': ['2']}}]}}";
    assertThat(matches(nested, "{'body': {'b': {'c': '2'}}}")).isTrue();
    assertThat(matches(nested, "{'body': {'b': {'c': '3'}}}")).isFalse();
  }

  /**
   * The reasons are event-ruler's, with the place in the pattern; the JSON itself must be strict.
   */
  @Test
  void badPatternsNameTheRuleAndWhere() {
    rejects("not json", "the pattern is not valid JSON");
    rejects("{'a': ['x']} trailing", "the pattern is not valid JSON");
    rejects("{'a': ['x'], 'a': ['y']}", "not valid JSON");
    rejects("['x']", "Filter is not an object");
    rejects("{}", "Empty objects are not allowed");
    rejects("{'body': {}}", "Empty objects are not allowed (line 1, column 12)");
    rejects(
        "{'body': {'price': 5}}", "\"price\" must be an object or an array (line 1, column 21)");
    rejects("{'a': 'x'}", "\"a\" must be an object or an array");
    rejects("{'a': []}", "Empty arrays are not allowed");
    rejects("{'a': [['x']]}", "Match value must be String, number, true, false, or null");
    rejects("{'a': [{'prefix': 'x', 'suffix': 'y'}]}", "Only one key allowed in match expression");
    rejects("{'a': [{'contains': 'x'}]}", "Unrecognized match type contains");
    rejects("{'a': [{'prefix': 1}]}", "prefix match pattern must be a string");
    rejects(
        "{'a': [{'equals-ignore-case': 1}]}", "equals-ignore-case match pattern must be a string");
    rejects("{'a': [{'wildcard': 'a**b'}]}", "Consecutive wildcard characters at pos 2");
    rejects("{'a': [{'wildcard': 'a\\\\b'}]}", "Invalid escape character at pos 2");
    rejects("{'a': [{'exists': 'yes'}]}", "exists match pattern must be either true or false");
    rejects("{'a': [{'cidr': '10.0.0.0'}]}", "Malformed CIDR, one '/' required");
    rejects("{'a': [{'cidr': '10.0.0.0/33'}]}", "IPv4 mask bits must be");
    rejects("{'a': [{'cidr': 'example.com/8'}]}", "Nonstandard IP address: example.com");
  }

  @Test
  void badNumericAndAnythingBut() {
    rejects(
        "{'body': {'price': [{'numeric': ['>', '5']}]}}",
        "Value of > must be numeric (line 1, column 40)");
    rejects("{'p': [{'numeric': ['>']}]}", "Value of > must be numeric");
    rejects(
        "{'p': [{'numeric': ['>', 1, '<', 2, '=', 3]}]}",
        "Too many terms in numeric range expression");
    rejects("{'p': [{'numeric': ['!=', 1]}]}", "Unrecognized numeric range operator: !=");
    rejects("{'p': [{'numeric': ['>', 1, '>', 2]}]}", "Bad numeric range operator: >");
    rejects("{'p': [{'numeric': ['=', 1, '<', 2]}]}", "Too many elements in numeric expression");
    rejects("{'p': [{'numeric': ['>', 5, '<', 1]}]}", "Bottom must be less than top");
    // a range names its lower bound first, as every example in AWS's docs does; event-ruler
    // (EventBridge's
    // matcher) refuses the other order, which the hand-written matcher used to accept
    rejects("{'p': [{'numeric': ['<=', 5, '>', 0]}]}", "Too many elements in numeric expression");
    rejects(
        "{'s': [{'anything-but': []}]}",
        "Inside anything but list, either all values are number or string");
    rejects(
        "{'s': [{'anything-but': ['a', 1]}]}",
        "Inside anything but list, either all values are number or string");
    rejects(
        "{'s': [{'anything-but': true}]}",
        "Value of anything-but must be an array or single string/number value");
    rejects(
        "{'s': [{'anything-but': {'numeric': ['>', 1]}}]}",
        "Unsupported anything-but pattern: numeric");
    rejects(
        "{'s': [{'anything-but': {'prefix': 1}}]}", "prefix/suffix match pattern must be a string");
  }

  @Test
  void badOr() {
    rejects("{'$or': []}", "There must have at least 2 Objects in $or relationship");
    rejects("{'$or': {'a': ['x']}}", "It must be an Array followed with $or");
    rejects(
        "{'$or': [{'a': ['x']}, 'b']}", "Only JSON object is allowed in array of $or relationship");
    rejects("{'body': {'$or': [{'a': ['x']}, {'b': 'y'}]}}", "\"b\" must be an object or an array");
  }
}
