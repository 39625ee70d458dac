//! Compiles `proto/` with protox (a pure-Rust protobuf compiler), so building
//! Lookout needs no system `protoc`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "../../proto/lookout/v1/lookout.proto";
    println!("cargo:rerun-if-changed=../../proto");
    let fds = protox::compile([proto], ["../../proto"])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    // The descriptor set also feeds gRPC server reflection.
    std::fs::write(out.join("lookout_descriptor.bin"), prost::Message::encode_to_vec(&fds))?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
