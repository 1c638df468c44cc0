package dev.pdpipeline.ingress;
/** Placeholder so the module compiles while it is built out. */
final class Placeholder { private Placeholder() {} }
