package dev.klambda.informers;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.function.Consumer;

/**
 * An informer's events as most of klambda reads them: each resource's latest state (added or
 * updated alike) and its deletion.
 */
public final class LatestState<T> implements ResourceEventHandler<T> {
  private final Consumer<T> present;
  private final Consumer<T> gone;

  private LatestState(Consumer<T> present, Consumer<T> gone) {
    this.present = present;
    this.gone = gone;
  }

  /** {@code present} for every add and update (the new state), {@code gone} for every delete. */
  public static <T> ResourceEventHandler<T> of(Consumer<T> present, Consumer<T> gone) {
    return new LatestState<>(present, gone);
  }

  @Override
  public void onAdd(T resource) {
    present.accept(resource);
  }

  @Override
  public void onUpdate(T before, T resource) {
    present.accept(resource);
  }

  @Override
  public void onDelete(T resource, boolean finalStateUnknown) {
    gone.accept(resource);
  }
}
