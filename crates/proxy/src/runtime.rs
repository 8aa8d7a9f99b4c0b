//! The tokio runtime of a process that runs the proxy (`serin proxy`, the
//! examples): one worker is a single-threaded runtime, more a multi-threaded one.

/// A runtime with `workers` worker threads (1 or less: a single-threaded one).
pub fn build_runtime(workers: usize) -> std::io::Result<tokio::runtime::Runtime> {
    if workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
}
