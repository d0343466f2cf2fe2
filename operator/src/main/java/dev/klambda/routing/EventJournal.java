package dev.klambda.routing;

import dev.klambda.environments.InvocationRequest;

/**
 * Where an accepted Event is kept besides this replica's memory, so that it outlives the replica: a
 * copy is kept before the caller hears 202, and forgotten once the event is done with here (run,
 * dropped after its retries, or handed to another replica). A copy whose replica is gone is run by
 * the one that keeps it: delivery is at least once, as on Lambda.
 */
public interface EventJournal {
  /**
   * Keeps a copy of the event {@code request.requestId()} of the function {@code key}.
   *
   * @throws ServiceException (a 5xx, which clients retry) when a copy should be kept and cannot be
   */
  void keep(String key, InvocationRequest request) throws ServiceException;

  /** Whether a copy of the event is kept elsewhere: one this replica leaves behind is not lost. */
  boolean copied(String requestId);

  /** The event is done with here; its copy is forgotten. */
  void done(String requestId);

  /** Events live in this replica's memory only: local mode. */
  EventJournal IN_MEMORY =
      new EventJournal() {
        @Override
        public void keep(String key, InvocationRequest request) {
          // nothing to keep: the process is the whole of klambda
        }

        @Override
        public boolean copied(String requestId) {
          return false;
        }

        @Override
        public void done(String requestId) {
          // nothing was kept
        }
      };
}
