package dev.klambda.api;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** An AWS-Lambda-style function: code, runtime, memory and limits; environments run on demand. */
@Group("klambda.dev")
@Version("v1alpha1")
@ShortNames("fn")
public class Function extends CustomResource<FunctionSpec, Void> implements Namespaced {}
