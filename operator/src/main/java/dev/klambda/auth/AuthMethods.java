package dev.klambda.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code --auth} accepts: {@code kubernetes}, {@code sigv4}, both (comma-separated), or {@code
 * none}.
 */
public enum AuthMethods {
  KUBERNETES,
  SIGV4;

  /**
   * @return the methods; empty for {@code none}
   * @throws IllegalArgumentException naming the flag and the rule
   */
  public static Set<AuthMethods> parse(String flag, String value) {
    if (value.trim().equalsIgnoreCase("none")) {
      return EnumSet.noneOf(AuthMethods.class);
    }
    EnumSet<AuthMethods> methods = EnumSet.noneOf(AuthMethods.class);
    for (String item : value.split(",")) {
      try {
        methods.add(valueOf(item.trim().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            flag
                + " must be a comma-separated list of kubernetes and sigv4, or "
                + "the single word none (got '"
                + value
                + "')");
      }
    }
    return methods;
  }

  public static String describe(Set<AuthMethods> methods) {
    return methods.isEmpty()
        ? "none"
        : String.join(",", methods.stream().map(m -> m.name().toLowerCase(Locale.ROOT)).toList());
  }
}
