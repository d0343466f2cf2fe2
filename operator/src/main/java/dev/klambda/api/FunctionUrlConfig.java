package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import java.util.List;

/** Lambda's function URL: the function answers plain HTTP requests (payload format 2.0). */
public class FunctionUrlConfig {
  @JsonPropertyDescription(
      "Who may call the URL: NONE (anyone who reaches the gateway) or AWS_IAM (only "
          + "callers the gateway authenticates, by AWS SigV4 or a Kubernetes bearer token, and whom RBAC allows "
          + "verb invoke on this function, as for the Invoke API).")
  @Pattern("^(NONE|AWS_IAM)$")
  @Default("NONE")
  private String authType;

  @JsonPropertyDescription(
      "Cross-origin resource sharing, answered by the gateway (preflight included).")
  private Cors cors;

  public String getAuthType() {
    return authType;
  }

  public void setAuthType(String authType) {
    this.authType = authType;
  }

  public Cors getCors() {
    return cors;
  }

  public void setCors(Cors cors) {
    this.cors = cors;
  }

  /** Lambda's Cors settings of a function URL. */
  public static class Cors {
    @JsonPropertyDescription(
        "Origins allowed to call the URL, e.g. https://example.com, or * for any.")
    private List<String> allowOrigins;

    @JsonPropertyDescription("HTTP methods allowed, e.g. GET, POST, or * for any.")
    private List<String> allowMethods;

    @JsonPropertyDescription("Request headers allowed, e.g. content-type, or * for any.")
    private List<String> allowHeaders;

    @JsonPropertyDescription("Response headers the browser may expose to the caller.")
    private List<String> exposeHeaders;

    @JsonPropertyDescription(
        "Whether cookies and credentials may be sent (not with allowOrigins *).")
    private Boolean allowCredentials;

    @JsonPropertyDescription("Seconds a browser may cache a preflight answer, 0-86400.")
    @io.fabric8.generator.annotation.Min(0)
    @io.fabric8.generator.annotation.Max(86400)
    private Integer maxAge;

    public List<String> getAllowOrigins() {
      return allowOrigins;
    }

    public void setAllowOrigins(List<String> allowOrigins) {
      this.allowOrigins = allowOrigins;
    }

    public List<String> getAllowMethods() {
      return allowMethods;
    }

    public void setAllowMethods(List<String> allowMethods) {
      this.allowMethods = allowMethods;
    }

    public List<String> getAllowHeaders() {
      return allowHeaders;
    }

    public void setAllowHeaders(List<String> allowHeaders) {
      this.allowHeaders = allowHeaders;
    }

    public List<String> getExposeHeaders() {
      return exposeHeaders;
    }

    public void setExposeHeaders(List<String> exposeHeaders) {
      this.exposeHeaders = exposeHeaders;
    }

    public Boolean getAllowCredentials() {
      return allowCredentials;
    }

    public void setAllowCredentials(Boolean allowCredentials) {
      this.allowCredentials = allowCredentials;
    }

    public Integer getMaxAge() {
      return maxAge;
    }

    public void setMaxAge(Integer maxAge) {
      this.maxAge = maxAge;
    }
  }
}
