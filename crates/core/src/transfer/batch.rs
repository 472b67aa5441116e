//! Network pieces gathered for one positioned, vectored write: the disk gets large writes
//! and the bytes are never copied into an intermediate buffer on the way.

use std::io::IoSlice;
use std::os::fd::AsRawFd as _;

use bytes::Bytes;

/// Network reads are a few KiB to a few hundred KiB; the disk and the hash want them by the
/// MiB.
const BATCH_BYTES: usize = 1024 * 1024;
/// Below the kernel's `IOV_MAX` (1024), so one batch is one system call.
const BATCH_PIECES: usize = 512;

/// Pieces of the body in order, written together at one offset.
#[derive(Default)]
pub(super) struct Batch {
    pieces: Vec<Bytes>,
    len: usize,
}

impl Batch {
    pub(super) fn push(&mut self, piece: Bytes) {
        self.len += piece.len();
        self.pieces.push(piece);
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Large enough to be worth a write now.
    pub(super) fn is_full(&self) -> bool {
        self.len >= BATCH_BYTES || self.pieces.len() >= BATCH_PIECES
    }

    /// Keeps the first `len` bytes (another connection took over the rest of the range).
    pub(super) fn truncate(&mut self, len: usize) {
        let mut kept = 0;
        self.pieces.retain_mut(|piece| {
            let room = len.saturating_sub(kept);
            piece.truncate(room);
            kept += piece.len();
            !piece.is_empty()
        });
        self.len = kept;
    }

    /// Hands the gathered pieces over, leaving this batch empty.
    pub(super) fn take(&mut self) -> Batch {
        std::mem::take(self)
    }

    pub(super) fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.pieces.iter().map(|p| &p[..])
    }

    /// Writes every piece at `offset` onwards (`pwritev`, repeated after a short write).
    pub(super) fn write_at(&self, file: &std::fs::File, mut offset: u64) -> std::io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = self.pieces.iter().map(|p| IoSlice::new(p)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let position = libc::off_t::try_from(offset)
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::FileTooLarge))?;
            let count = rest.len().min(BATCH_PIECES) as libc::c_int;
            // SAFETY: `IoSlice` is ABI-compatible with `iovec` on Unix; the slices borrow live
            // buffers and `count` does not exceed them; the descriptor is open for writing.
            let written =
                unsafe { libc::pwritev(file.as_raw_fd(), rest.as_ptr().cast(), count, position) };
            if written < 0 {
                let error = std::io::Error::last_os_error();
                if error.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(error);
            }
            if written == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            offset += written as u64;
            IoSlice::advance_slices(&mut rest, written as usize);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt as _;

    #[test]
    fn pieces_land_in_order_at_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(dir.path().join("f"))
            .unwrap();
        file.write_all_at(b"0123456789", 0).unwrap();
        let mut batch = Batch::default();
        // More pieces than one system call takes, to cover the short-write loop.
        for i in 0..(BATCH_PIECES + 10) {
            batch.push(Bytes::from(vec![b'a' + (i % 26) as u8; 3]));
        }
        assert_eq!(batch.len(), (BATCH_PIECES + 10) * 3);
        assert!(batch.is_full());
        batch.write_at(&file, 4).unwrap();
        let mut back = vec![0; 4 + batch.len()];
        file.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(&back[..4], b"0123");
        assert_eq!(
            back[4..].to_vec(),
            batch.pieces().collect::<Vec<_>>().concat()
        );
        assert!(!batch.take().is_empty() && batch.is_empty());
    }

    #[test]
    fn truncating_keeps_exactly_the_first_bytes() {
        let mut batch = Batch::default();
        for piece in [&b"abc"[..], b"defg", b"hi"] {
            batch.push(Bytes::from_static(piece));
        }
        batch.truncate(5);
        assert_eq!(batch.len(), 5);
        assert_eq!(batch.pieces().collect::<Vec<_>>().concat(), b"abcde");
        batch.truncate(0);
        assert!(batch.is_empty() && batch.pieces().next().is_none());
    }
}
