/* The route map (decision 0042): Leaflet over Natural Earth country borders served by
 * Amparo itself. No tile layer, no request to another host. It draws exactly the payload
 * the server put in <script id="route-map-data" type="application/json"> (only shown,
 * unsuppressed cells are ever in it); every word it shows comes from that payload or from
 * the translated data- attributes of #route-map. Names are set as text, never as HTML. */
(function () {
  "use strict";

  var FLOW_COLOUR = "#1f4e5f";
  var HOTSPOT_COLOURS = ["#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]; // ColorBrewer OrRd, 4 classes
  var DETAIL_ZOOM = 4; // from this zoom on, the 1:50m borders replace the 1:110m ones
  var DOT_ZOOM = 6; // below this zoom a hexagon is a few pixels wide: a dot marks it too
  var SVG_NS = "http://www.w3.org/2000/svg";

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  function text(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  function tooltipContent(lines) {
    var box = document.createElement("span");
    lines.forEach(function (line, index) {
      if (index) {
        box.appendChild(document.createElement("br"));
      }
      box.appendChild(document.createTextNode(line));
    });
    return box;
  }

  function isPoint(lat, lon) {
    return typeof lat === "number" && typeof lon === "number" && isFinite(lat) && isFinite(lon);
  }

  /* A curved arc from a to b ([lat, lon]): a quadratic Bézier bowed to the left of the
   * direction of travel, so that A→B and B→A do not overlap. */
  function arc(a, b) {
    var dLat = b[0] - a[0];
    var dLon = b[1] - a[1];
    var bow = 0.22;
    var control = [(a[0] + b[0]) / 2 + dLon * bow, (a[1] + b[1]) / 2 - dLat * bow];
    var points = [];
    for (var i = 0; i <= 32; i++) {
      var t = i / 32;
      var u = 1 - t;
      points.push([
        u * u * a[0] + 2 * u * t * control[0] + t * t * b[0],
        u * u * a[1] + 2 * u * t * control[1] + t * t * b[1],
      ]);
    }
    return points;
  }

  /* Class breaks for the hotspot colours: equal steps from the smallest to the largest shown count. */
  function breaks(counts) {
    var low = Math.min.apply(null, counts);
    var high = Math.max.apply(null, counts);
    var classes = Math.min(HOTSPOT_COLOURS.length, high - low + 1);
    var edges = [];
    for (var i = 0; i < classes; i++) {
      edges.push(Math.round(low + ((high - low + 1) * i) / classes));
    }
    return { edges: edges, high: high };
  }

  function classOf(count, scale) {
    var index = 0;
    for (var i = 0; i < scale.edges.length; i++) {
      if (count >= scale.edges[i]) {
        index = i;
      }
    }
    return index;
  }

  function colourOf(index, scale) {
    // Fewer classes than colours: use the darker end so that the largest is always the darkest.
    return HOTSPOT_COLOURS[HOTSPOT_COLOURS.length - scale.edges.length + index];
  }

  function addArrowhead(svg) {
    if (!svg || svg.querySelector("#route-flow-arrow")) {
      return;
    }
    var defs = svg.querySelector("defs") || svg.insertBefore(document.createElementNS(SVG_NS, "defs"), svg.firstChild);
    var marker = document.createElementNS(SVG_NS, "marker");
    marker.setAttribute("id", "route-flow-arrow");
    marker.setAttribute("viewBox", "0 0 10 10");
    marker.setAttribute("refX", "6");
    marker.setAttribute("refY", "5");
    marker.setAttribute("markerWidth", "2.6");
    marker.setAttribute("markerHeight", "2.6");
    marker.setAttribute("orient", "auto");
    var head = document.createElementNS(SVG_NS, "path");
    head.setAttribute("d", "M0,0 L10,5 L0,10 z");
    head.setAttribute("fill", FLOW_COLOUR);
    marker.appendChild(head);
    defs.appendChild(marker);
  }

  function legendSwatch(className, colour) {
    var swatch = document.createElement("span");
    swatch.className = className;
    if (colour) {
      swatch.style.backgroundColor = colour; // CSSOM, allowed by the page's CSP
    }
    swatch.setAttribute("aria-hidden", "true");
    return swatch;
  }

  function legendKey(swatch, label) {
    var key = document.createElement("span");
    key.className = "route-map-key";
    key.appendChild(swatch);
    key.appendChild(document.createTextNode(label));
    return key;
  }

  function draw(box, payload) {
    var L = window.L;
    var labels = payload.labels || {};
    var data = box.dataset;
    var flows = (payload.flows || []).filter(function (flow) {
      return isPoint(flow.from_lat, flow.from_lon) && isPoint(flow.to_lat, flow.to_lon) && flow.count > 0;
    });
    var hotspots = (payload.hotspots || []).filter(function (spot) {
      return Array.isArray(spot.boundary) && spot.boundary.length >= 3 && spot.count > 0;
    });

    box.textContent = "";
    var map = L.map(box, {
      zoomControl: false,
      attributionControl: false,
      minZoom: 1,
      maxZoom: 9,
      zoomSnap: 0.5,
      worldCopyJump: false,
      maxBounds: [
        [-85, -220],
        [85, 220],
      ],
      maxBoundsViscosity: 0.8,
    });
    L.control.zoom({ zoomInTitle: text(data.zoomIn), zoomOutTitle: text(data.zoomOut) }).addTo(map);
    L.control.attribution({ prefix: false }).addAttribution(text(data.attribution)).addTo(map);
    map.createPane("borders").style.zIndex = "250";

    // Base map: country borders (1:110m first; 1:50m once the reader zooms in).
    var borderStyle = { color: "#8a8a8a", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 1, interactive: false };
    var borders = L.geoJSON(null, { pane: "borders", renderer: L.svg({ pane: "borders" }), style: borderStyle }).addTo(map);
    var detailed = "none";
    function loadBorders(url) {
      return fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (topology) {
          borders.clearLayers();
          borders.addData(window.topojson.feature(topology, topology.objects.countries));
        });
    }
    loadBorders(data.borders).catch(function () {
      box.parentNode.querySelector(".route-map-failed").hidden = false;
    });
    map.on("zoomend", function () {
      if (detailed === "none" && map.getZoom() >= DETAIL_ZOOM && data.bordersDetailed) {
        detailed = "loading";
        loadBorders(data.bordersDetailed).then(
          function () {
            detailed = "done";
            box.dataset.detail = "50m";
          },
          function () {
            detailed = "none";
          }
        );
      }
    });

    // Hotspots: the payload's hexagons, coloured by count.
    var hotspotLayer = L.featureGroup();
    var dots = L.featureGroup();
    var scale = hotspots.length
      ? breaks(
          hotspots.map(function (spot) {
            return spot.count;
          })
        )
      : null;
    hotspots.forEach(function (spot) {
      var colour = colourOf(classOf(spot.count, scale), scale);
      var polygon = L.polygon(spot.boundary, {
        color: "#5a1a00",
        weight: 1,
        fillColor: colour,
        fillOpacity: 0.75,
        className: "route-hotspot",
      });
      var stage = text((labels.stages || {})[spot.stage]);
      polygon.bindTooltip(tooltipContent([stage || text(labels.hotspots), text(labels.count) + ": " + spot.count]), {
        sticky: true,
      });
      polygon.on("add", function () {
        var element = polygon.getElement();
        element.setAttribute("data-count", String(spot.count));
        element.setAttribute("data-cell", text(spot.cell));
      });
      hotspotLayer.addLayer(polygon);
      var dot = L.circleMarker(polygon.getBounds().getCenter(), {
        radius: 5,
        color: "#5a1a00",
        weight: 1,
        fillColor: colour,
        fillOpacity: 0.9,
        className: "route-hotspot-dot",
      });
      dot.bindTooltip(tooltipContent([stage || text(labels.hotspots), text(labels.count) + ": " + spot.count]));
      dots.addLayer(dot);
    });
    function showDots() {
      if (map.getZoom() < DOT_ZOOM) {
        hotspotLayer.addLayer(dots);
      } else {
        hotspotLayer.removeLayer(dots);
      }
    }
    map.on("zoomend", showDots);

    // Flows: curved arcs, width by count, an arrowhead at the destination.
    var flowLayer = L.featureGroup();
    var most = flows.reduce(function (high, flow) {
      return Math.max(high, flow.count);
    }, 0);
    function widthOf(count) {
      return 1.5 + 7.5 * Math.sqrt(count / most);
    }
    // Largest first, so that thinner arcs are drawn on top and stay visible.
    flows.sort(function (a, b) {
      return b.count - a.count;
    });
    flows.forEach(function (flow) {
      var from = [flow.from_lat, flow.from_lon];
      var to = [flow.to_lat, flow.to_lon];
      // Two places that share a point (a region or city known only by its country's point):
      // a ring there, since an arc of length zero would not show.
      var local = Math.abs(from[0] - to[0]) < 1e-6 && Math.abs(from[1] - to[1]) < 1e-6;
      var line = local
        ? L.circleMarker(from, {
            radius: 4 + widthOf(flow.count),
            color: FLOW_COLOUR,
            weight: 2,
            fill: false,
            className: "route-flow route-flow-local",
          })
        : L.polyline(arc(from, to), {
            color: FLOW_COLOUR,
            weight: widthOf(flow.count),
            opacity: 0.85,
            className: "route-flow",
          });
      line.bindTooltip(
        tooltipContent([text(flow.from_name) + " → " + text(flow.to_name), text(labels.count) + ": " + flow.count]),
        { sticky: true }
      );
      line.on("add", function () {
        var element = line.getElement();
        if (!local) {
          addArrowhead(element.ownerSVGElement);
          element.setAttribute("marker-end", "url(#route-flow-arrow)");
        }
        element.setAttribute("data-count", String(flow.count));
        element.setAttribute("data-from", text(flow.from));
        element.setAttribute("data-to", text(flow.to));
      });
      flowLayer.addLayer(line);
    });
    hotspotLayer.addTo(map);
    flowLayer.addTo(map);

    // View: everything drawn, or the whole world when nothing is shown.
    var bounds = L.latLngBounds([]);
    if (flows.length) {
      bounds.extend(flowLayer.getBounds());
    }
    if (hotspots.length) {
      bounds.extend(hotspotLayer.getBounds());
    }
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.15), { maxZoom: 6 });
    } else {
      map.setView([15, 0], 1);
    }
    showDots();

    // Layer toggles (plain checkboxes outside the map, labelled by the server).
    var toggles = box.parentNode.querySelector(".route-map-layers");
    if (toggles) {
      toggles.hidden = false;
      var layers = { flows: flowLayer, hotspots: hotspotLayer };
      toggles.querySelectorAll("input[name=route-map-layer]").forEach(function (input) {
        input.addEventListener("change", function () {
          var layer = layers[input.value];
          if (!layer) {
            return;
          }
          if (input.checked) {
            layer.addTo(map);
          } else {
            map.removeLayer(layer);
          }
        });
      });
    }

    drawLegend(box.parentNode.querySelector(".route-map-legend"), payload, flows, most, scale, widthOf);
    box.dataset.drawn = String(flows.length + hotspots.length);
    return map;
  }

  function drawLegend(legend, payload, flows, most, scale, widthOf) {
    if (!legend) {
      return;
    }
    var labels = payload.labels || {};
    legend.textContent = "";
    var title = document.createElement("p");
    title.className = "route-map-legend-title";
    title.textContent = text(labels.legend_title);
    legend.appendChild(title);

    if (flows.length) {
      var flowRow = document.createElement("p");
      flowRow.appendChild(document.createTextNode(text(labels.flows) + ": "));
      var least = flows.reduce(function (low, flow) {
        return Math.min(low, flow.count);
      }, most);
      var samples = least === most ? [most] : [least, most];
      samples.forEach(function (count) {
        var sample = legendSwatch("route-map-line");
        sample.style.height = Math.round(widthOf(count)) + "px";
        flowRow.appendChild(legendKey(sample, String(count)));
      });
      legend.appendChild(flowRow);
    }
    if (scale) {
      var spotRow = document.createElement("p");
      spotRow.appendChild(document.createTextNode(text(labels.hotspots) + ": "));
      scale.edges.forEach(function (edge, index) {
        var upper = index + 1 < scale.edges.length ? scale.edges[index + 1] - 1 : scale.high;
        var range = upper > edge ? edge + "–" + upper : String(edge);
        spotRow.appendChild(legendKey(legendSwatch("route-map-swatch", colourOf(index, scale)), range));
      });
      legend.appendChild(spotRow);
    }
    // payload.hidden and labels.hidden_note: the page states them above the map, once.
    legend.hidden = false;
  }

  ready(function () {
    var box = document.getElementById("route-map");
    var source = document.getElementById("route-map-data");
    if (!box || !source) {
      return;
    }
    var failed = box.parentNode.querySelector(".route-map-failed");
    try {
      if (!window.L || !window.topojson) {
        throw new Error("map libraries missing");
      }
      draw(box, JSON.parse(source.textContent) || {});
    } catch (error) {
      if (failed) {
        failed.hidden = false;
      }
      box.hidden = true;
    }
  });
})();
