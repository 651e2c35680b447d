/// jemalloc instead of glibc's allocator. With glibc, memory freed after a burst of work (each
/// password hash takes 19 MiB) stayed resident for good: 65 MB idle became ~390 MB after forty
/// sign-ins and never came back down; with jemalloc the same run ends at ~80 MB
/// (docs/performance.md, Memory).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    jiebang_api::cli::run()
}
