package dev.klambda.metering;

import java.util.Map;

/** Where usage totals are kept between processes. */
public interface UsageStore {
  /**
   * Adds usage to what is stored for these functions (by {@code namespace/name}).
   *
   * @return the functions whose usage was added; the others are to be tried again later
   */
  java.util.Set<String> add(Map<String, Usage> more);
}
