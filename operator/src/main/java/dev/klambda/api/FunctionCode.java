package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Map;

/** Where a function's code comes from. */
public class FunctionCode {
  @JsonPropertyDescription("Code written into the manifest itself.")
  private Inline inline;

  public Inline getInline() {
    return inline;
  }

  public void setInline(Inline inline) {
    this.inline = inline;
  }

  /** Files by relative path; they become the task root ({@code LAMBDA_TASK_ROOT}). */
  public static class Inline {
    @JsonPropertyDescription("Text files by relative path, e.g. 'bootstrap'. 'bootstrap', files in "
        + "'extensions/' and files starting with '#!' are made executable.")
    private Map<String, String> files;

    @JsonPropertyDescription("Binary files (e.g. jars) by relative path, base64-encoded.")
    private Map<String, String> binaryFiles;

    public Map<String, String> getFiles() {
      return files;
    }

    public void setFiles(Map<String, String> files) {
      this.files = files;
    }

    public Map<String, String> getBinaryFiles() {
      return binaryFiles;
    }

    public void setBinaryFiles(Map<String, String> binaryFiles) {
      this.binaryFiles = binaryFiles;
    }
  }
}
