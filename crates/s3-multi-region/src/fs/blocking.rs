//! Blocking adapters for synchronous code: `std::io::Read + Seek` readers, `std::io::Write`
//! writers and the filesystem calls, each run on a Tokio runtime through its handle (tokio-util's
//! `SyncIoBridge` for the streams). Call them from threads outside the runtime, e.g. inside
//! `spawn_blocking` or from a plain `std::thread`; calling them on a runtime thread panics, as
//! `Handle::block_on` does.

use std::io;

use futures::TryStreamExt;
use tokio::runtime::Handle;
use tokio_util::io::SyncIoBridge;

use crate::fs::{DirEntry, FsError, Metadata, S3Fs, S3Reader, S3Url, S3Writer};

/// A blocking `Read + Seek` over an [`S3Reader`].
pub type BlockingReader = SyncIoBridge<S3Reader>;

/// A blocking `Write` into an [`S3Writer`]. Call [`BlockingWriter::close`] to finish the object;
/// dropping it without closing aborts the upload.
#[derive(Debug)]
pub struct BlockingWriter {
    inner: SyncIoBridge<S3Writer>,
}

impl BlockingWriter {
    /// Uploads what is buffered and completes the object; its error is the upload's.
    pub fn close(mut self) -> io::Result<()> {
        self.inner.shutdown()
    }
}

impl io::Write for BlockingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// [`S3Fs`] for synchronous code (see the module docs).
///
/// ```no_run
/// # fn run(fs: s3_multi_region::fs::S3Fs, handle: tokio::runtime::Handle) -> Result<(), Box<dyn std::error::Error>> {
/// use std::io::{Read, Seek, SeekFrom, Write};
///
/// let fs = fs.blocking(handle);
/// let url = "s3://logs-in-ap-southeast-2/today.txt".parse()?;
/// let mut writer = fs.create(&url)?;
/// writer.write_all(b"hello from sync code\n")?;
/// writer.close()?;
/// let mut reader = fs.open(&url)?;
/// reader.seek(SeekFrom::Start(6))?;
/// let mut rest = String::new();
/// reader.read_to_string(&mut rest)?;
/// assert_eq!(rest, "from sync code\n");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct BlockingS3Fs {
    fs: S3Fs,
    handle: Handle,
}

impl BlockingS3Fs {
    pub(crate) fn new(fs: S3Fs, handle: Handle) -> Self {
        Self { fs, handle }
    }

    /// See [`S3Fs::open`].
    pub fn open(&self, url: &S3Url) -> io::Result<BlockingReader> {
        let reader = self.handle.block_on(self.fs.open(url))?;
        Ok(SyncIoBridge::new_with_handle(reader, self.handle.clone()))
    }

    /// See [`S3Fs::create`].
    pub fn create(&self, url: &S3Url) -> Result<BlockingWriter, FsError> {
        let _runtime = self.handle.enter();
        let writer = self.fs.create(url)?;
        Ok(BlockingWriter {
            inner: SyncIoBridge::new_with_handle(writer, self.handle.clone()),
        })
    }

    /// See [`S3Fs::append`].
    pub fn append(&self, url: &S3Url) -> Result<BlockingWriter, FsError> {
        let writer = self.handle.block_on(self.fs.append(url))?;
        Ok(BlockingWriter {
            inner: SyncIoBridge::new_with_handle(writer, self.handle.clone()),
        })
    }

    /// See [`S3Fs::metadata`].
    pub fn metadata(&self, url: &S3Url) -> Result<Metadata, FsError> {
        self.handle.block_on(self.fs.metadata(url))
    }

    /// See [`S3Fs::exists`].
    pub fn exists(&self, url: &S3Url) -> Result<bool, FsError> {
        self.handle.block_on(self.fs.exists(url))
    }

    /// All entries of [`S3Fs::read_dir`], every page fetched.
    pub fn read_dir(&self, url: &S3Url) -> Result<Vec<DirEntry>, FsError> {
        self.handle.block_on(self.fs.read_dir(url).try_collect())
    }

    /// See [`S3Fs::copy`].
    pub fn copy(&self, from: &S3Url, to: &S3Url) -> Result<u64, FsError> {
        self.handle.block_on(self.fs.copy(from, to))
    }

    /// See [`S3Fs::rename`].
    pub fn rename(&self, from: &S3Url, to: &S3Url) -> Result<u64, FsError> {
        self.handle.block_on(self.fs.rename(from, to))
    }

    /// See [`S3Fs::remove`].
    pub fn remove(&self, url: &S3Url) -> Result<(), FsError> {
        self.handle.block_on(self.fs.remove(url))
    }

    /// See [`S3Fs::create_dir`].
    pub fn create_dir(&self, url: &S3Url) -> Result<(), FsError> {
        self.handle.block_on(self.fs.create_dir(url))
    }

    /// See [`S3Fs::remove_dir`].
    pub fn remove_dir(&self, url: &S3Url) -> Result<(), FsError> {
        self.handle.block_on(self.fs.remove_dir(url))
    }

    /// See [`S3Fs::remove_dir_all`].
    pub fn remove_dir_all(&self, url: &S3Url) -> Result<u64, FsError> {
        self.handle.block_on(self.fs.remove_dir_all(url))
    }
}

impl S3Fs {
    /// A blocking view of these calls for synchronous code, running on `handle`'s runtime.
    pub fn blocking(&self, handle: tokio::runtime::Handle) -> BlockingS3Fs {
        BlockingS3Fs::new(self.clone(), handle)
    }
}
