#!/usr/bin/env bash
# (Re)build the map's vendored front-end files from their npm packages (decision 0042).
#
#     make vendor-map        (or: bash bench/vendor_map_assets.sh)
#
# The route map draws without any tile server or CDN: Leaflet, topojson-client and the
# Natural Earth country borders of the world-atlas package are copied from the npm registry
# into amparo/static/vendor/ and served by the app (WhiteNoise), like every other static file.
# `npm pack` checks each tarball against the registry's integrity hash; the versions are
# pinned here, so a re-run gives byte-identical files. Nothing here runs at request time.
set -euo pipefail

LEAFLET=1.9.4
TOPOJSON_CLIENT=3.1.0
WORLD_ATLAS=2.0.2

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$ROOT/amparo/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
for spec in "leaflet@$LEAFLET" "topojson-client@$TOPOJSON_CLIENT" "world-atlas@$WORLD_ATLAS"; do
    npm pack --silent "$spec" >/dev/null
done
for tarball in *.tgz; do
    mkdir "${tarball%.tgz}"
    tar xzf "$tarball" -C "${tarball%.tgz}"
done

rm -rf "$VENDOR/leaflet" "$VENDOR/topojson-client" "$VENDOR/world-atlas"
mkdir -p "$VENDOR/leaflet/images" "$VENDOR/topojson-client" "$VENDOR/world-atlas"

# Leaflet: the minified build, its stylesheet and the images the stylesheet names. The
# source-map comment is dropped: the map file is not shipped, and the manifest storage
# would refuse to collect a reference to a missing file.
src="leaflet-$LEAFLET/package"
sed '/^\/\/# sourceMappingURL=/d' "$src/dist/leaflet.js" >"$VENDOR/leaflet/leaflet.js"
cp "$src/dist/leaflet.css" "$VENDOR/leaflet/leaflet.css"
cp "$src/dist/images/"*.png "$VENDOR/leaflet/images/"
cp "$src/LICENSE" "$VENDOR/leaflet/LICENSE"

src="topojson-client-$TOPOJSON_CLIENT/package"
cp "$src/dist/topojson-client.min.js" "$VENDOR/topojson-client/topojson-client.min.js"
cp "$src/LICENSE" "$VENDOR/topojson-client/LICENSE"

# Country borders at 1:110m (first load) and 1:50m (fetched when the reader zooms in).
src="world-atlas-$WORLD_ATLAS/package"
cp "$src/countries-110m.json" "$src/countries-50m.json" "$VENDOR/world-atlas/"
cp "$src/LICENSE" "$VENDOR/world-atlas/LICENSE"

cat >"$VENDOR/README.md" <<EOF
# Vendored map assets (built by bench/vendor_map_assets.sh; do not edit by hand)

| directory | npm package | licence | what it is |
| --- | --- | --- | --- |
| leaflet/ | leaflet@$LEAFLET | BSD-2-Clause (leaflet/LICENSE) | the map library (dist/leaflet.js, leaflet.css, images) |
| topojson-client/ | topojson-client@$TOPOJSON_CLIENT | ISC (topojson-client/LICENSE) | TopoJSON to GeoJSON in the browser |
| world-atlas/ | world-atlas@$WORLD_ATLAS | ISC (world-atlas/LICENSE); data: Natural Earth, public domain | country borders, 1:110m and 1:50m |

Natural Earth (naturalearthdata.com) is in the public domain: "No permission is needed to use
Natural Earth. Crediting the authors is unnecessary." The map credits it all the same.
First-level (admin-1) borders are not shipped: see docs/decisions/0042-maps-without-a-tile-server.md.
EOF
echo "vendored into $VENDOR:"
(cd "$VENDOR" && find leaflet topojson-client world-atlas -type f | sort | xargs ls -l | awk '{print $5, $9}')
