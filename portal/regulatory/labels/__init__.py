"""HJ 1276-2022 hazardous-waste labels: PDF sheets, single PNG and SVG labels, each with its trace QR code."""
