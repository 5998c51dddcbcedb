package org.calvinseq.core.testing;

import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.apply.EpochStateMachine;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that checks {@link Invariants} of every state machine a test registered,
 * after the test ran (STYLE habit 6). Use as a field:
 *
 * <pre>
 * {@code @RegisterExtension final StateMachineValidation validation = new StateMachineValidation();}
 * </pre>
 *
 * and wrap the machines the test creates in {@link #track}.
 */
public final class StateMachineValidation implements AfterEachCallback {
  private final List<EpochStateMachine> machines = new ArrayList<>();

  public EpochStateMachine track(EpochStateMachine sm) {
    machines.add(sm);
    return sm;
  }

  public Harness track(Harness h) {
    machines.add(h.sm);
    return h;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    try {
      for (EpochStateMachine sm : machines) {
        Invariants.check(sm);
      }
    } finally {
      machines.clear();
    }
  }
}
