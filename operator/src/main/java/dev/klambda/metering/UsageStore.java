package dev.klambda.metering;

import java.util.Map;

/** Where usage totals are kept between processes. */
public interface UsageStore {
  /** Writes the totals of these functions (by {@code namespace/name}). */
  void save(Map<String, Usage> totals);
}
