package dev.klambda.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Packs the java21 benchmark handler into a function jar, as a manifest's base64 binary file. */
final class HandlerJar {
  static final String HANDLER_CLASS = "dev.klambda.bench.handler.EchoHandler";
  static final String HANDLER = HANDLER_CLASS + "::handleRequest";

  private HandlerJar() {}

  static String base64() throws IOException {
    String entry = HANDLER_CLASS.replace('.', '/') + ".class";
    byte[] classFile;
    try (InputStream in = HandlerJar.class.getClassLoader().getResourceAsStream(entry)) {
      if (in == null) {
        throw new IOException(entry + " is not on the class path: build the bench module");
      }
      classFile = in.readAllBytes();
    }
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
      jar.putNextEntry(new JarEntry(entry));
      jar.write(classFile);
      jar.closeEntry();
    }
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }
}
