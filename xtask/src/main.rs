fn main() {
    eprintln!("usage: cargo xtask codegen [--check]");
    std::process::exit(2);
}
