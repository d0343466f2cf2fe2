package dev.klambda.metering;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.klambda.api.FunctionUsage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Local mode's ledger: a JSON file of every function's usage, replaced atomically on each save. */
public final class FileUsageStore implements UsageStore {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private final Path file;
  private final Billing billing;
  private final Map<String, Usage> saved = new TreeMap<>();

  public FileUsageStore(Path file, Billing billing) {
    this.file = file;
    this.billing = billing;
  }

  /** What the file holds (nothing when it does not exist yet). */
  public Map<String, Usage> load() throws IOException {
    if (!Files.exists(file)) {
      return Map.of();
    }
    Map<String, FunctionUsage> reports = JSON.readValue(file.toFile(), new TypeReference<>() {});
    Map<String, Usage> usage = new LinkedHashMap<>();
    reports.forEach((key, report) -> usage.put(key, UsageReport.parse(report, Instant.now())));
    synchronized (saved) {
      saved.putAll(usage);
    }
    return usage;
  }

  @Override
  public Set<String> add(Map<String, Usage> more) {
    Map<String, FunctionUsage> reports = new TreeMap<>();
    synchronized (saved) {
      more.forEach((key, usage) -> saved.merge(key, usage, Usage::plus));
      saved.forEach((key, usage) -> reports.put(key, UsageReport.of(usage, billing)));
    }
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path temp = Files.createTempFile(parent, ".usage", ".json");
      JSON.writeValue(temp.toFile(), reports);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the usage ledger " + file, e);
    }
    return more.keySet();
  }
}
