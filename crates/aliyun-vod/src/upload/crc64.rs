//! CRC-64 as OSS reports it (`x-oss-hash-crc64ecma`: CRC-64/XZ, the ECMA-182
//! polynomial reflected, all-ones start and final XOR), and the combination
//! of two CRCs into the CRC of the concatenation, so the whole object's CRC
//! comes from its parts' without reading the file twice.
//!
//! ```
//! use aliyun_vod::upload::crc64;
//! let (a, b) = (b"12345".as_slice(), b"6789".as_slice());
//! assert_eq!(crc64::checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
//! assert_eq!(crc64::combine(crc64::checksum(a), crc64::checksum(b), 4), crc64::checksum(b"123456789"));
//! ```

/// The checksum (from the `crc` crate), slice-by-16: several times the
/// speed of the byte-wise table, which a test checks it against.
pub(crate) const CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_XZ);

/// The CRC-64 of `data`, as OSS computes `x-oss-hash-crc64ecma`.
pub fn checksum(data: &[u8]) -> u64 {
    CRC64.checksum(data)
}

/// The reflected ECMA-182 polynomial.
const POLY: u64 = 0xC96C_5795_D787_0F42;

/// `mat` times `vec` over GF(2): the XOR of the columns where `vec` has a 1.
fn times(mat: &[u64; 64], mut vec: u64) -> u64 {
    let mut sum = 0;
    let mut column = 0;
    while vec != 0 {
        if vec & 1 != 0 {
            sum ^= mat[column];
        }
        vec >>= 1;
        column += 1;
    }
    sum
}

/// `mat` squared: the operator applied twice.
fn square(mat: &[u64; 64]) -> [u64; 64] {
    let mut out = [0; 64];
    for (n, row) in out.iter_mut().enumerate() {
        *row = times(mat, mat[n]);
    }
    out
}

/// The CRC of `a ‖ b` from `crc_a`, `crc_b` and `b`'s length: `crc_a` is
/// advanced over `len_b` zero bytes by repeated squaring of the one-zero-bit
/// operator (the method of zlib's `crc32_combine`, which holds for any CRC
/// whose start value equals its final XOR), then XORed with `crc_b`.
pub fn combine(mut crc_a: u64, crc_b: u64, mut len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    // The operator for one zero bit: shift right, XOR the polynomial when
    // the low bit falls out.
    let mut odd = [0u64; 64];
    odd[0] = POLY;
    for (n, row) in odd.iter_mut().enumerate().skip(1) {
        *row = 1 << (n - 1);
    }
    let mut even = square(&odd); // two zero bits
    odd = square(&even); // four zero bits
    loop {
        // One zero byte at first, then doubling.
        even = square(&odd);
        if len_b & 1 != 0 {
            crc_a = times(&even, crc_a);
        }
        len_b >>= 1;
        if len_b == 0 {
            break;
        }
        odd = square(&even);
        if len_b & 1 != 0 {
            crc_a = times(&odd, crc_a);
        }
        len_b >>= 1;
        if len_b == 0 {
            break;
        }
    }
    crc_a ^ crc_b
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_answer() {
        // The CRC-64/XZ check value.
        assert_eq!(CRC64.checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(CRC64.checksum(b""), 0);
    }

    #[test]
    fn combines_uneven_parts() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let whole = CRC64.checksum(&data);
        for cut in [0, 1, 8, 65_536, 150_001, 299_999, 300_000] {
            let (a, b) = data.split_at(cut);
            let got = combine(CRC64.checksum(a), CRC64.checksum(b), b.len() as u64);
            assert_eq!(got, whole, "cut at {cut}");
        }
    }

    proptest! {
        #[test]
        fn slice_by_16_matches_the_bitwise_definition(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let plain = crc::Crc::<u64, crc::NoTable>::new(&crc::CRC_64_XZ);
            prop_assert_eq!(CRC64.checksum(&data), plain.checksum(&data));
        }

        #[test]
        fn combine_matches_direct(a in proptest::collection::vec(any::<u8>(), 0..2048),
                                  b in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut both = a.clone();
            both.extend_from_slice(&b);
            prop_assert_eq!(
                combine(CRC64.checksum(&a), CRC64.checksum(&b), b.len() as u64),
                CRC64.checksum(&both)
            );
        }
    }
}
