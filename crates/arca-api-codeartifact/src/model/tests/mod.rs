//! Tests of the model-driven router, binder and validator. (The Java-regex
//! translation is tested next to it, in `java_regex.rs`.)

mod binding;
mod model_file;
mod output;
mod props;
mod router;
