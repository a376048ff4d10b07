//! The tutorial's detection data (SPEC.md section 7): a CSV `Name,width,height,xmin,ymin,xmax,
//! ymax` with one row per box, and a folder of images. Malformed rows, boxes outside their
//! image or of zero size, and rows naming missing images are reported by file and line and
//! skipped; the rest is grouped per image.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ocellus::boxes::BoxXyxy;

use super::Skipped;

/// One image and its true boxes.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnotatedImage {
    /// The image file.
    pub path: PathBuf,
    /// Its width and height, as the CSV gives them.
    pub size: (u32, u32),
    /// Its boxes, in CSV order.
    pub boxes: Vec<BoxXyxy>,
}

/// What a CSV held.
#[derive(Clone, Debug, Default)]
pub struct FaceBoxes {
    /// Images with at least one usable box, by file name order.
    pub images: Vec<AnnotatedImage>,
    /// Rows passed over, by `file:line`, with the reason.
    pub skipped: Vec<Skipped>,
    /// Usable boxes in all.
    pub boxes: usize,
}

/// The header the tutorial's CSV has.
const HEADER: [&str; 7] = ["Name", "width", "height", "xmin", "ymin", "xmax", "ymax"];

/// Reads `csv`, looking images up in `images`.
pub fn read(csv: &Path, images: &Path) -> Result<FaceBoxes> {
    let text = std::fs::read_to_string(csv).with_context(|| format!("{}: cannot read", csv.display()))?;
    parse(&text, csv, images)
}

/// Parses the CSV `text` read from `csv` (named in every message), looking images up in `images`.
/// Fields may be quoted (a file name with a comma); blank lines are passed over.
pub fn parse(text: &str, csv: &Path, images: &Path) -> Result<FaceBoxes> {
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(::csv::Trim::All).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(str::to_ascii_lowercase).collect(),
        Some(Err(e)) => bail!("{}:1: header cannot be read: {e}", csv.display()),
        None => bail!("{}: empty file; expected the header {}", csv.display(), HEADER.join(",")),
    };
    if header != HEADER.map(|h| h.to_ascii_lowercase()) {
        bail!("{}:1: header is {:?}; expected {}", csv.display(), header.join(","), HEADER.join(","));
    }
    let mut grouped: BTreeMap<String, AnnotatedImage> = BTreeMap::new();
    let mut out = FaceBoxes::default();
    let mut missing: BTreeMap<String, bool> = BTreeMap::new();
    for record in records {
        let (line, row) = match record {
            Ok(r) => (r.position().map_or(0, |p| p.line()), parse_row(&r)),
            Err(e) => (e.position().map_or(0, |p| p.line()), Err(e.to_string())),
        };
        let at = format!("{}:{line}", csv.display());
        let row = match row {
            Ok(row) => row,
            Err(reason) => {
                out.skipped.push(Skipped { what: at, reason });
                continue;
            }
        };
        let exists = *missing.entry(row.name.clone()).or_insert_with(|| images.join(&row.name).is_file());
        if !exists {
            out.skipped.push(Skipped { what: at, reason: format!("image {} not found in {}", row.name, images.display()) });
            continue;
        }
        let entry = grouped.entry(row.name.clone()).or_insert_with(|| AnnotatedImage { path: images.join(&row.name), size: row.size, boxes: Vec::new() });
        if entry.size != row.size {
            out.skipped.push(Skipped { what: at, reason: format!("size {}x{} differs from {}x{} on an earlier row", row.size.0, row.size.1, entry.size.0, entry.size.1) });
            continue;
        }
        entry.boxes.push(row.bounds);
        out.boxes += 1;
    }
    out.images = grouped.into_values().collect();
    Ok(out)
}

struct Row {
    name: String,
    size: (u32, u32),
    bounds: BoxXyxy,
}

fn parse_row(cells: &::csv::StringRecord) -> std::result::Result<Row, String> {
    if cells.len() != HEADER.len() {
        return Err(format!("{} fields, expected {} ({})", cells.len(), HEADER.len(), HEADER.join(",")));
    }
    let name = &cells[0];
    if name.is_empty() || name.contains("..") || Path::new(name).is_absolute() {
        return Err(format!("bad image name {name:?}"));
    }
    let number = |i: usize| -> std::result::Result<f32, String> {
        cells[i].parse::<f32>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("{} is {:?}, not a number", HEADER[i], &cells[i]))
    };
    let (w, h) = (number(1)?, number(2)?);
    if w < 1.0 || h < 1.0 || w.fract() != 0.0 || h.fract() != 0.0 {
        return Err(format!("image size {}x{} is not a positive whole number of pixels", &cells[1], &cells[2]));
    }
    let bounds = BoxXyxy { x0: number(3)?, y0: number(4)?, x1: number(5)?, y1: number(6)? };
    if bounds.x1 <= bounds.x0 || bounds.y1 <= bounds.y0 {
        return Err(format!("box ({}, {}, {}, {}) has no area", bounds.x0, bounds.y0, bounds.x1, bounds.y1));
    }
    if bounds.x0 < 0.0 || bounds.y0 < 0.0 || bounds.x1 > w || bounds.y1 > h {
        return Err(format!("box ({}, {}, {}, {}) lies outside the {w}x{h} image", bounds.x0, bounds.y0, bounds.x1, bounds.y1));
    }
    Ok(Row { name: name.to_string(), size: (w as u32, h as u32), bounds })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(csv: &str, images: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("images")).unwrap();
        for name in images {
            image::RgbImage::new(40, 30).save(dir.path().join("images").join(name)).unwrap();
        }
        std::fs::write(dir.path().join("bbox.csv"), csv).unwrap();
        dir
    }

    #[test]
    fn good_rows_group_per_image_and_bad_ones_are_named_by_line() {
        let csv = "Name,width,height,xmin,ymin,xmax,ymax\n\
                   a.png,40,30,1,2,11,12\n\
                   a.png,40,30,20,5,30,25\n\
                   b.png,40,30,0,0,40,30\n\
                   b.png,40,30,5,5,5,9\n\
                   b.png,40,30,30,20,45,29\n\
                   c.png,40,30,1,1,2,2\n\
                   b.png,40,30,1,x,3,4\n\
                   b.png,40,30,1,2,3\n\
                   b.png,50,30,1,2,3,4\n";
        let dir = folder(csv, &["a.png", "b.png"]);
        let got = read(&dir.path().join("bbox.csv"), &dir.path().join("images")).unwrap();
        assert_eq!(got.images.len(), 2);
        assert_eq!(got.images[0].boxes, vec![BoxXyxy { x0: 1.0, y0: 2.0, x1: 11.0, y1: 12.0 }, BoxXyxy { x0: 20.0, y0: 5.0, x1: 30.0, y1: 25.0 }]);
        assert_eq!(got.images[1].boxes.len(), 1);
        assert_eq!(got.boxes, 3);
        let reasons: Vec<String> = got.skipped.iter().map(|s| format!("{} {}", s.what.rsplit('/').next().unwrap(), s.reason)).collect();
        let expect = [("bbox.csv:5", "no area"), ("bbox.csv:6", "outside the 40x30 image"), ("bbox.csv:7", "c.png not found"), ("bbox.csv:8", "ymin is \"x\""), ("bbox.csv:9", "6 fields"), ("bbox.csv:10", "differs from 40x30")];
        assert_eq!(reasons.len(), expect.len(), "{reasons:?}");
        for (r, (line, why)) in reasons.iter().zip(expect) {
            assert!(r.starts_with(line) && r.contains(why), "{r} should be {line}: {why}");
        }
    }

    #[test]
    fn a_quoted_name_with_a_comma_is_one_field() {
        let dir = folder("Name,width,height,xmin,ymin,xmax,ymax\n\"my, photo.png\",40,30,1,2,11,12\n", &["my, photo.png"]);
        let got = read(&dir.path().join("bbox.csv"), &dir.path().join("images")).unwrap();
        assert!(got.skipped.is_empty(), "{:?}", got.skipped);
        assert_eq!((got.images.len(), got.boxes), (1, 1));
        assert!(got.images[0].path.ends_with("my, photo.png"));
    }

    #[test]
    fn a_wrong_header_is_an_error_naming_the_file() {
        let dir = folder("name,x,y\n", &[]);
        let err = read(&dir.path().join("bbox.csv"), &dir.path().join("images")).unwrap_err().to_string();
        assert!(err.contains("bbox.csv:1") && err.contains("expected Name,width"), "{err}");
    }

    #[test]
    fn the_shared_face_data_reads_whole() {
        let Some(faces) = std::env::var_os("OCELLUS_DATA").map(PathBuf::from).or_else(|| Some(PathBuf::from("../../shared/data"))).map(|d| d.join("faces")).filter(|d| d.is_dir()) else {
            assert!(std::env::var_os("OCELLUS_REQUIRE_DATA").is_none_or(|v| v.is_empty() || v == "0"), "no ../shared/data/faces, and OCELLUS_REQUIRE_DATA says it must be there");
            eprintln!("skipping: no ../shared/data/faces");
            return;
        };
        let got = read(&faces.join("bbox.csv"), &faces.join("images")).unwrap();
        assert_eq!((got.images.len(), got.boxes), (2000, 8556), "skipped: {:?}", &got.skipped[..got.skipped.len().min(5)]);
    }
}
