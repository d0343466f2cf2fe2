package dev.klambda.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that needs klambda on a real cluster: its constructor may take the {@link
 * KlambdaCluster}, which is set up once for the whole run. Where the machine cannot run it (no
 * Docker, no K3s image, no klambda images, no helm), the class is skipped with the reason.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(KlambdaE2EExtension.class)
@Tag("e2e")
@interface KlambdaE2E {}
