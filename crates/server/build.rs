//! Compiles `proto/` with protox (a pure-Rust protobuf compiler), so building
//! Lookout needs no system `protoc`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "../../proto/lookout/v1/lookout.proto";
    println!("cargo:rerun-if-changed=../../proto");
    let fds = protox::compile([proto], ["../../proto"])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    // The descriptor set also feeds gRPC server reflection.
    std::fs::write(out.join("lookout_descriptor.bin"), prost::Message::encode_to_vec(&fds))?;
    // Our codec: prost's, with unparseable requests as INVALID_ARGUMENT (api/codec.rs).
    // A replayed alert is ten times the size of a replayed position, and a replay holds
    // thousands of positions at once: the alert is boxed so they do not all take its size.
    tonic_prost_build::configure()
        .codec_path("crate::api::codec::Codec")
        .boxed(".lookout.v1.ReplayEvent.event.alert")
        .compile_fds(fds)?;
    Ok(())
}
