package dev.klambda.auth;

/**
 * What a caller asks to do with functions: Lambda's operation, and the RBAC verb on {@code
 * functions.klambda.dev} that allows it ({@code kubectl create role ... --verb=VERB}).
 */
public enum Action {
  INVOKE("invoke", "lambda:InvokeFunction"),
  GET("get", "lambda:GetFunction"),
  LIST("list", "lambda:ListFunctions");

  private final String verb;
  private final String operation;

  Action(String verb, String operation) {
    this.verb = verb;
    this.operation = operation;
  }

  public String verb() {
    return verb;
  }

  /** As Lambda names it in an AccessDeniedException. */
  public String operation() {
    return operation;
  }
}
