package dev.klambda.bench;

/** Does nothing: the start-up benchmark times a bare JVM start and exit with it. */
public final class Noop {
  private Noop() {}

  public static void main(String[] args) {
    // nothing
  }
}
