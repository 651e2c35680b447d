fn main() -> std::process::ExitCode {
    jiebang_api::cli::run()
}
