//! Zips for unit tests, written as Python's zipfile writes them (stored or deflated entries with
//! their sizes in the local headers, then a central directory record).

/// A zip as Python's zipfile writes it: local headers with sizes, then a central directory.
pub(crate) fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data, deflate) in entries {
        let body = if *deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut e, data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0]);
        out.extend_from_slice(&(if *deflate { 8u16 } else { 0 }).to_le_bytes());
        out.extend_from_slice(&[0; 8]); // time, date, crc (not checked here)
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
    }
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out
}
