package dev.klambda.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Map;

/** Where a function's code comes from: exactly one of inline, configMap or image. */
public class FunctionCode {
  @JsonPropertyDescription(
      "Code written into the manifest itself; klambda stores it in a ConfigMap "
          + "owned by the Function.")
  private Inline inline;

  @JsonPropertyDescription(
      "A ConfigMap of yours holding the code files (data and binaryData); "
          + "its keys are file names, mounted at the task root.")
  private ConfigMapCode configMap;

  @JsonPropertyDescription(
      "An image built FROM the klambda runtime image with the code in "
          + "/var/task (the task root); used instead of the operator's runtime image.")
  private String image;

  public Inline getInline() {
    return inline;
  }

  public void setInline(Inline inline) {
    this.inline = inline;
  }

  public ConfigMapCode getConfigMap() {
    return configMap;
  }

  public void setConfigMap(ConfigMapCode configMap) {
    this.configMap = configMap;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  /** Files by relative path; they become the task root ({@code LAMBDA_TASK_ROOT}). */
  public static class Inline {
    @JsonPropertyDescription(
        "Text files by relative path, e.g. 'bootstrap'. 'bootstrap', files in "
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

  /** A user-managed ConfigMap in the Function's namespace. */
  public static class ConfigMapCode {
    @JsonPropertyDescription("The ConfigMap's name, in the Function's namespace.")
    @io.fabric8.generator.annotation.Required
    private String name;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }
  }
}
