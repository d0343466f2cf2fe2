package dev.klambda.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Duration;

/**
 * Answers of the API server kept briefly, so that the hot path makes no call per invocation:
 * positive ones for {@code allowed}, negative ones for {@code denied} (shorter, so that a new
 * RoleBinding takes effect soon).
 */
final class Decisions<K, V> {
  private final Cache<K, V> cache;

  Decisions(Duration allowed, Duration denied, java.util.function.Predicate<V> positive) {
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfter(
                new Expiry<K, V>() {
                  @Override
                  public long expireAfterCreate(K key, V value, long now) {
                    return (positive.test(value) ? allowed : denied).toNanos();
                  }

                  @Override
                  public long expireAfterUpdate(K key, V value, long now, long current) {
                    return expireAfterCreate(key, value, now);
                  }

                  @Override
                  public long expireAfterRead(K key, V value, long now, long current) {
                    return current;
                  }
                })
            .build();
  }

  V known(K key) {
    return cache.getIfPresent(key);
  }

  void remember(K key, V value) {
    cache.put(key, value);
  }
}
