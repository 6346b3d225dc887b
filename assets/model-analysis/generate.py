#!/usr/bin/env python3
"""Writes the sample evaluation data of the Model analysis screen: the predictions of three versions of a
"hot dog / not hot dog" classifier on the same 12,000 photos, with the photo's region, camera and hour.

The story they tell: each version is better than the last overall, but v3's new image preprocessing breaks on
low-resolution webcam photos: the webcam slice regresses, most at night, while the overall numbers still rise.
Deterministic: the same files every run.

    python3 assets/model-analysis/generate.py   # writes hotdog-v1.csv, hotdog-v2.csv, hotdog-v3.csv beside itself
"""

import pathlib
import random

ROWS = 12_000
REGIONS = ["us-east", "us-west", "eu-north", "eu-south", "asia", "latam"]
CAMERAS = ["phone-front", "phone-back", "dslr", "webcam"]
# How far a hot dog's score is pushed up, per version; the rest of the score is noise.
SIGNAL = {
    "v1": {"default": 0.30, "webcam": 0.26, "webcam-night": 0.20},
    "v2": {"default": 0.38, "webcam": 0.32, "webcam-night": 0.26},
    "v3": {"default": 0.47, "webcam": 0.16, "webcam-night": 0.08},
}


def photos():
    rng = random.Random(7)
    for _ in range(ROWS):
        yield {
            "label": 1 if rng.random() < 0.35 else 0,
            "region": rng.choice(REGIONS),
            # Webcams are rarer than phones.
            "camera": rng.choices(CAMERAS, weights=[3, 4, 1, 2])[0],
            "hour": rng.randrange(24),
        }


def main():
    here = pathlib.Path(__file__).resolve().parent
    data = list(photos())
    for version, signal in SIGNAL.items():
        rng = random.Random(f"scores-{version}")
        lines = ["label,score,region,camera,hour"]
        for p in data:
            night = p["hour"] < 7 or p["hour"] >= 20
            if p["camera"] != "webcam":
                s = signal["default"]
            else:
                s = signal["webcam-night"] if night else signal["webcam"]
            score = p["label"] * s + rng.random() * (1 - s)
            lines.append(f'{p["label"]},{score:.4f},{p["region"]},{p["camera"]},{p["hour"]}')
        (here / f"hotdog-{version}.csv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
