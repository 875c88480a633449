/* geo risk map: the incident canvas layer, the time control, tooltips, popups,
 * legend, title and SYNTHETIC banner of the page written by geo/maps/interactive.py.
 *
 * Safety: every text that comes from the data reaches the page through
 * textContent or createTextNode, never innerHTML, and the data arrive as JSON
 * read with JSON.parse (never evaluated), so a place name or note cannot run
 * code or break the markup.
 */
(function () {
  "use strict";

  var geoRisk = {};
  window.geoRisk = geoRisk;
  var DAY_MS = 86400000;
  var CONFIG = null;

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function config() {
    if (CONFIG === null) CONFIG = readJson("geo-map-config");
    return CONFIG;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || value === "" || (typeof value === "number" && !isFinite(value))) {
      return "–";
    }
    if (typeof value === "number") {
      return value.toLocaleString("en-US", {maximumFractionDigits: digits === undefined ? 1 : digits});
    }
    return String(value);
  }

  function count(value) {
    return value === null || value === undefined || value < 0 ? "unknown" : fmt(value, 0);
  }

  /* A two-column table of [label, value] rows; empty values are skipped. */
  function table(rows, className) {
    var body = el("table", className || "geo-rows");
    rows.forEach(function (row) {
      if (row[1] === undefined || row[1] === null || row[1] === "") return;
      var tr = el("tr");
      tr.appendChild(el("th", null, row[0]));
      tr.appendChild(el("td", null, row[1]));
      body.appendChild(tr);
    });
    return body;
  }

  function unitName(p, level) {
    return level === "tehsil" ? p.tehsil : p.district;
  }

  function unitPlace(p, level) {
    return level === "tehsil" ? p.district + ", " + p.province : p.province;
  }

  function riskText(p) {
    return p.risk_class + " (" + fmt(p.risk_score, 2) + " / 10)";
  }

  /* Tooltip of a district or tehsil: the figures an analyst scans first. */
  function unitTooltip(p, level) {
    var box = el("div", "geo-tooltip");
    box.appendChild(el("div", "geo-title", unitName(p, level)));
    box.appendChild(el("div", "geo-sub", unitPlace(p, level)));
    box.appendChild(table([
      ["Risk", riskText(p)],
      ["Incidents", fmt(p.incidents, 0)],
      ["Killed: civilians", fmt(p.killed_civilians, 0)],
      ["Killed: security forces", fmt(p.killed_security, 0)],
      ["Distance to border", fmt(p.min_distance_to_border_km, 1) + " km"],
      ["Confidence", p.confidence]
    ]));
    return box;
  }

  var SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attributes) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, String(attributes[key])); });
    return node;
  }

  /* Monthly incidents as bars and killed as a line, one column per month. */
  function sparkline(incidents, killed, months) {
    var width = 300, height = 64, pad = 4, n = incidents.length;
    var chart = svg("svg", {width: width, height: height, "class": "geo-spark", role: "img"});
    var top = Math.max(1, Math.max.apply(null, incidents));
    var topKilled = Math.max(1, Math.max.apply(null, killed));
    var step = (width - 2 * pad) / Math.max(1, n);
    var points = [];
    for (var i = 0; i < n; i++) {
      var h = (height - 2 * pad) * incidents[i] / top;
      var bar = svg("rect", {x: pad + i * step + 1, y: height - pad - h, width: Math.max(1, step - 2), height: h,
                             fill: "#6b8fb5"});
      var label = svg("title", {});
      label.textContent = months[i] + ": " + incidents[i] + " incidents, " + killed[i] + " killed";
      bar.appendChild(label);
      chart.appendChild(bar);
      points.push((pad + (i + 0.5) * step).toFixed(1) + "," +
                  (height - pad - (height - 2 * pad) * killed[i] / topKilled).toFixed(1));
    }
    chart.appendChild(svg("polyline", {points: points.join(" "), fill: "none", stroke: "#b2182b", "stroke-width": 1.5}));
    return chart;
  }

  /* Popup of a district or tehsil: the risk components and the monthly series. */
  function unitPopup(p, level) {
    var cfg = config();
    var box = el("div", "geo-popup");
    box.appendChild(el("div", "geo-title", unitName(p, level)));
    box.appendChild(el("div", "geo-sub", unitPlace(p, level)));
    box.appendChild(table([
      ["Risk index", riskText(p)],
      ["Confidence", p.confidence],
      ["Incidents (last 3 / previous 9 months)", fmt(p.incidents, 0) + " (" + fmt(p.incidents_last_3m, 0) + " / " +
        fmt(p.incidents_prev_9m, 0) + ")"],
      ["Killed (civilians / security / militants)", fmt(p.killed, 0) + " (" + fmt(p.killed_civilians, 0) + " / " +
        fmt(p.killed_security, 0) + " / " + fmt(p.killed_militants, 0) + ")"],
      ["Injured", fmt(p.injured, 0)],
      ["Distance to border (nearest point)", fmt(p.min_distance_to_border_km, 1) + " km"],
      ["Area within 50 km of the border", fmt(100 * p.share_within_50km, 0) + " %"],
      ["Hotspot (Gi*)", p.hotspot_class],
      ["Emerging hotspot", p.emerging_class]
    ]));
    var components = el("table", "geo-components");
    var head = el("tr");
    ["Component", "Score 0–10", "Weight"].forEach(function (text) { head.appendChild(el("th", null, text)); });
    components.appendChild(head);
    cfg.components.forEach(function (component) {
      var tr = el("tr");
      tr.appendChild(el("td", null, component[1]));
      tr.appendChild(el("td", null, fmt(p[component[0] + "_score"], 2)));
      tr.appendChild(el("td", null, fmt(component[2], 2)));
      components.appendChild(tr);
    });
    box.appendChild(el("div", "geo-section", "Risk components"));
    box.appendChild(components);
    box.appendChild(el("div", "geo-section", "Monthly incidents (bars) and killed (line), " +
                       cfg.months[0] + " to " + cfg.months[cfg.months.length - 1]));
    box.appendChild(sparkline(p.monthly_incidents, p.monthly_killed, cfg.months));
    var details = el("details");
    details.appendChild(el("summary", null, "Monthly table"));
    var monthly = el("table", "geo-components");
    cfg.months.forEach(function (month, i) {
      var tr = el("tr");
      tr.appendChild(el("td", null, month));
      tr.appendChild(el("td", null, p.monthly_incidents[i] + " incidents"));
      tr.appendChild(el("td", null, p.monthly_killed[i] + " killed"));
      monthly.appendChild(tr);
    });
    details.appendChild(monthly);
    box.appendChild(details);
    return box;
  }

  /* The page's panels (controls and banner) as boxes in container pixels. */
  function panelBoxes(map) {
    var container = map.getContainer(), frame = container.getBoundingClientRect(), boxes = [];
    container.querySelectorAll(".leaflet-control, #geo-synthetic-banner").forEach(function (node) {
      var r = node.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) {
        boxes.push({node: node, left: r.left - frame.left, right: r.right - frame.left, top: r.top - frame.top,
                    bottom: r.bottom - frame.top});
      }
    });
    return {boxes: boxes, width: frame.width, height: frame.height};
  }

  /* Popup options whose auto-pan padding keeps a popup clear of every panel:
   * wide or flat ones (banner, collapsed buttons, scale, attribution line) push
   * the top or bottom edge in, tall ones the left or right edge, by their side
   * of the map. Measured when the popup opens, so open and closed panels count
   * as they are. */
  function popupOptions(map) {
    var panels = panelBoxes(map), w = panels.width, h = panels.height, gap = 8;
    var left = gap, right = gap, top = gap, bottom = gap;
    panels.boxes.forEach(function (b) {
      var flat = b.bottom - b.top < 48 || b.right - b.left > w / 2;
      if (flat) {
        if (b.top + b.bottom < h) top = Math.max(top, b.bottom + gap); else bottom = Math.max(bottom, h - b.top + gap);
      } else if (b.left + b.right < w) {
        left = Math.max(left, b.right + gap);
      } else {
        right = Math.max(right, w - b.left + gap);
      }
    });
    return {maxWidth: 340, maxHeight: Math.max(160, h - top - bottom - 40), autoPan: true,
            autoPanPaddingTopLeft: L.point(left, top), autoPanPaddingBottomRight: L.point(right, bottom)};
  }
  geoRisk.popupOptions = popupOptions;

  /* onEachFeature for the district and tehsil risk layers. */
  geoRisk.unitBinder = function (level) {
    return function (feature, layer) {
      layer.bindTooltip(function () { return unitTooltip(feature.properties, level); },
                        {sticky: true, className: "geo-unit-tooltip"});
      // Not bindPopup: a click on an incident symbol drawn over the unit opens the incident's popup instead.
      layer.on("click", function (e) {
        var incidents = geoRisk.incidents;
        if (incidents && incidents._map && incidents.hitAt(e.containerPoint)) return;
        L.popup(popupOptions(layer._map)).setLatLng(e.latlng).setContent(unitPopup(feature.properties, level))
          .openOn(layer._map);
      });
    };
  };

  /* onEachFeature for the Afghan context districts. */
  geoRisk.contextBinder = function () {
    return function (feature, layer) {
      layer.bindTooltip(function () {
        var p = feature.properties, box = el("div", "geo-tooltip");
        box.appendChild(el("div", "geo-title", p.district));
        box.appendChild(el("div", "geo-sub", p.province + " (Afghanistan, context only)"));
        box.appendChild(table([["Distance to border", fmt(p.distance_to_border_km, 1) + " km"]]));
        return box;
      }, {sticky: true, className: "geo-unit-tooltip"});
    };
  };

  function typeColour(code) {
    var cfg = config();
    return code >= 0 && code < cfg.types.length ? cfg.types[code][1] : cfg.other_colour;
  }

  function radius(killed) {
    return killed > 0 ? Math.min(16, 3.5 + 2.2 * Math.sqrt(killed)) : 3.5;
  }

  function isoDay(day0, offset) {
    return new Date(Date.parse(day0 + "T00:00:00Z") + offset * DAY_MS).toISOString().slice(0, 10);
  }

  function lookup(names, code) {
    return code >= 0 ? names[code] : "";
  }

  /* The perpetrator the source names, or "" (an "unknown" is not a name). */
  function perpetrator(d, k) {
    var name = lookup(d.perpetrator_names, d.perpetrator[k]);
    return /^\s*(unknown|unidentified)?\s*$/i.test(name) ? "" : name;
  }

  function imprecise(d, k) {
    return d.geo_precision[k] >= 2;
  }

  /* Popup of several incidents at one point (the same coordinates). */
  function stackPopup(d, members) {
    var cfg = config(), most = 25;
    var box = el("div", "geo-popup geo-incident");
    box.appendChild(el("div", "geo-title", fmt(members.length, 0) + " incidents at the same point"));
    var k = members[0];
    var precision = d.geo_precision[k] >= 0 ? cfg.geo_precision[String(d.geo_precision[k])] : "";
    box.appendChild(el("div", "geo-sub", (lookup(d.place_names, d.place[k]) || lookup(d.unit_names, d.unit[k])) +
                       (precision ? " · location: " + precision : "")));
    if (members.some(function (m) { return d.synthetic[m]; })) {
      box.appendChild(el("div", "geo-synthetic-tag", "includes SYNTHETIC records"));
    }
    var list = el("table", "geo-components");
    var head = el("tr");
    ["Date", "Type", "Killed"].forEach(function (text) { head.appendChild(el("th", null, text)); });
    list.appendChild(head);
    members.slice(0, most).forEach(function (m) {
      var tr = el("tr");
      tr.appendChild(el("td", null, isoDay(d.day0, d.t[m])));
      tr.appendChild(el("td", null, lookup(d.event_type_names, d.event_type[m]) || "Incident"));
      tr.appendChild(el("td", null, count(d.killed[m])));
      list.appendChild(tr);
    });
    box.appendChild(list);
    if (members.length > most) {
      box.appendChild(el("div", "geo-sub", "and " + fmt(members.length - most, 0) + " more (deadliest listed first)"));
    }
    return box;
  }

  /* Popup of one incident. */
  function incidentPopup(d, k) {
    var cfg = config();
    var box = el("div", "geo-popup geo-incident");
    if (d.synthetic[k]) box.appendChild(el("div", "geo-synthetic-tag", "SYNTHETIC record, not a real event"));
    box.appendChild(el("div", "geo-title", lookup(d.event_type_names, d.event_type[k]) || "Incident"));
    var place = lookup(d.place_names, d.place[k]);
    box.appendChild(el("div", "geo-sub", (place ? place + " · " : "") + lookup(d.unit_names, d.unit[k])));
    var killed = count(d.killed[k]);
    if (d.killed[k] >= 0) {
      // the part no category takes (UCDP's deaths_unknown, say) is said, not left to look like zeros
      var split = [d.killed_civilians[k], d.killed_security[k], d.killed_militants[k]];
      var rest = d.killed[k] - split.reduce(function (sum, n) { return sum + Math.max(0, n); }, 0);
      killed += " (civilians " + count(split[0]) + ", security forces " + count(split[1]) +
                ", militants " + count(split[2]) + (rest > 0 ? ", not attributed " + fmt(rest, 0) : "") + ")";
    }
    var precision = d.geo_precision[k] >= 0 ? cfg.geo_precision[String(d.geo_precision[k])] || String(d.geo_precision[k]) : "";
    box.appendChild(table([
      ["Date", isoDay(d.day0, d.t[k]) + " (precision: " + lookup(d.date_precision_names, d.date_precision[k]) + ")"],
      ["Place", place],
      ["Location precision", precision],
      ["Killed", killed],
      ["Injured", count(d.injured[k])],
      ["Perpetrator", perpetrator(d, k)],
      ["Sides", d.side_names ? lookup(d.side_names, d.sides[k]) : ""],
      ["Source", lookup(d.source_names, d.source[k]) + (d.source_id[k] ? " (" + d.source_id[k] + ")" : "")]
    ]));
    var notes = lookup(d.note_texts, d.notes[k]);
    if (notes) {
      box.appendChild(el("div", "geo-section", "Notes"));
      box.appendChild(el("div", "geo-notes", notes));
      if (d.note_cut[d.notes[k]]) box.appendChild(el("div", "geo-sub", "Notes cut for the map; the full text is in incidents.geojson."));
    }
    return box;
  }

  /* Tooltip of a drawn symbol: one incident, or a group of nearby ones. */
  function incidentTooltip(d, members) {
    var box = el("div", "geo-tooltip");
    if (members.length === 1) {
      var k = members[0];
      box.appendChild(el("div", "geo-title", lookup(d.event_type_names, d.event_type[k]) || "Incident"));
      box.appendChild(el("div", "geo-sub", isoDay(d.day0, d.t[k]) + " · " + (lookup(d.place_names, d.place[k]) ||
                         lookup(d.unit_names, d.unit[k]))));
      box.appendChild(table([["Killed", count(d.killed[k])], ["Injured", count(d.injured[k])],
                             ["Location", imprecise(d, k) ? config().geo_precision[String(d.geo_precision[k])] : ""]]));
      if (d.synthetic[k]) box.appendChild(el("div", "geo-synthetic-tag", "SYNTHETIC"));
      return box;
    }
    var killed = members.reduce(function (sum, m) { return sum + Math.max(0, d.killed[m]); }, 0);
    var vague = members.filter(function (m) { return imprecise(d, m); }).length;
    var onePoint = members.every(function (m) { return d.lat[m] === d.lat[members[0]] && d.lon[m] === d.lon[members[0]]; });
    box.appendChild(el("div", "geo-title", fmt(members.length, 0) + " incidents" + (onePoint ? " at one point" : "")));
    box.appendChild(table([["Killed (known counts)", fmt(killed, 0)],
                           ["Location imprecise (tehsil, district or province)", vague ? fmt(vague, 0) : ""]]));
    box.appendChild(el("div", "geo-sub", onePoint ? "Click for the list" : "Click to zoom in"));
    return box;
  }

  /* All incidents as one layer painted on a canvas: no object per incident.
   * Below `clusterBelowZoom` nearby points merge into counted circles on a
   * screen grid; clicks are matched to the symbols drawn last time. */
  geoRisk.IncidentLayer = L.Layer.extend({
    options: {clusterBelowZoom: 9, countryBelowZoom: 7, cellPx: 30, countryCellPx: 40, pane: "geoIncidents"},

    initialize: function (data, options) {
      L.setOptions(this, options);
      this._data = data;
      this._n = data.t.length;
      var months = data.months;
      this._from = months.length ? data.month_first_day[0] : 0;
      this._to = months.length ? data.month_last_day[months.length - 1] : 0;
      this._keep = {};  // field ("actor_group", "event_type") -> {code: true}; absent: every value
      this._drawn = [];
      this._hovered = null;
      this._hoverTip = null;
    },

    onAdd: function (map) {
      if (!map.getPane(this.options.pane)) {
        var pane = map.createPane(this.options.pane);
        pane.style.zIndex = 450;
        pane.style.pointerEvents = "none";
      }
      this._canvas = L.DomUtil.create("canvas", "geo-incident-canvas leaflet-zoom-hide");
      map.getPane(this.options.pane).appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this._redraw, this);
      map.on("click", this._onClick, this);
      map.on("mousemove", this._onMove, this);
      this._redraw();
    },

    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize viewreset", this._redraw, this);
      map.off("click", this._onClick, this);
      map.off("mousemove", this._onMove, this);
      map.getContainer().classList.remove("geo-pointer", "geo-over-incident");
      this._hover(null);
      this._drawn = [];
      this.fire("redraw");
    },

    /* Show only incidents dated between two day offsets (inclusive). */
    setWindow: function (fromDay, toDay) {
      this._from = fromDay;
      this._to = toDay;
      if (this._map) this._redraw();
      this.fire("windowchange");
    },

    /* Show only incidents whose `field` (a coded column: "actor_group", "event_type") is one of
     * `codes`; an empty list or null shows every value again. Filters and the window combine (AND). */
    setFilter: function (field, codes) {
      if (!codes || !codes.length) {
        delete this._keep[field];
      } else {
        var keep = {};
        codes.forEach(function (code) { keep[code] = true; });
        this._keep[field] = keep;
      }
      if (this._map) this._redraw();
      this.fire("filterchange");
    },

    /* Whether incident `k` is in the time window and passes every filter. */
    shows: function (k) {
      var d = this._data;
      if (d.t[k] < this._from || d.t[k] > this._to) return false;
      for (var field in this._keep) {
        if (Object.prototype.hasOwnProperty.call(this._keep, field) && !this._keep[field][d[field][k]]) return false;
      }
      return true;
    },

    /* How many incidents fall in the time window and pass the filters (anywhere on the map). */
    visibleCount: function () {
      var n = 0;
      for (var k = 0; k < this._n; k++) if (this.shows(k)) n++;
      return n;
    },

    /* Symbols drawn now: [{x, y, r, members: [index...]}] in container pixels. */
    drawnSymbols: function () { return this._drawn; },

    /* Container pixel of incident `k` (for tests and linking). */
    containerPoint: function (k) {
      return this._map.latLngToContainerPoint([this._data.lat[k] / 1e5, this._data.lon[k] / 1e5]);
    },

    /* Groups are sized and labelled by "count" (incidents) or "killed". */
    setGroupMode: function (mode) {
      this._groupMode = mode === "killed" ? "killed" : "count";
      if (this._map) this._redraw();
      this.fire("groupmodechange");
    },

    groupMode: function () { return this._groupMode || "count"; },

    _groupValue: function (members) {
      var d = this._data;
      if (this.groupMode() === "count") return members.length;
      return members.reduce(function (sum, m) { return sum + Math.max(0, d.killed[m]); }, 0);
    },

    _redraw: function () {
      var map = this._map;
      if (!map) return;
      var size = map.getSize(), ratio = window.devicePixelRatio || 1, canvas = this._canvas;
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      var d = this._data, margin = 20, zoom = map.getZoom(), cluster = zoom < this.options.clusterBelowZoom;
      // Below the labels' zoom (country view) groups are smaller and more see-through, so the risk shows.
      var country = zoom < this.options.countryBelowZoom;
      var cell = country ? this.options.countryCellPx : this.options.cellPx;
      var cells = {}, order = [], symbols = [], self = this;
      for (var k = 0; k < this._n; k++) {
        if (!this.shows(k)) continue;
        var p = map.latLngToContainerPoint([d.lat[k] / 1e5, d.lon[k] / 1e5]);
        if (p.x < -margin || p.y < -margin || p.x > size.x + margin || p.y > size.y + margin) continue;
        // Grouped on a screen grid when zoomed out; otherwise only incidents at the very same point
        // (often a tehsil or district centre) are one symbol, never rings drawn over each other.
        var key = cluster ? Math.floor(p.x / cell) + ":" + Math.floor(p.y / cell) : d.lat[k] + ":" + d.lon[k];
        if (!cells[key]) { cells[key] = {sx: 0, sy: 0, members: []}; order.push(key); }
        cells[key].sx += p.x;
        cells[key].sy += p.y;
        cells[key].members.push(k);
      }
      order.forEach(function (key) {
        var c = cells[key], n = c.members.length;
        var hollow = c.members.every(function (m) { return imprecise(d, m); });
        if (n === 1) {
          symbols.push({x: c.sx, y: c.sy, r: radius(d.killed[c.members[0]]), members: c.members, group: false,
                        hollow: hollow, fillAlpha: hollow ? 0 : 0.85});
          return;
        }
        var value = self._groupValue(c.members);
        var r = Math.min(country ? 15 : 20, (country ? 5 : 6.5) + (country ? 1.6 : 2.1) * Math.log(1 + value));
        symbols.push({x: c.sx / n, y: c.sy / n, r: r, members: c.members, group: true, hollow: hollow,
                      value: value, fillAlpha: hollow ? 0 : (country ? 0.3 : 0.55)});
      });
      symbols.forEach(function (s) {
        ctx.beginPath();
        ctx.arc(s.x, s.y, s.r, 0, 2 * Math.PI);
        ctx.setLineDash([]);
        if (!s.group) {
          var colour = typeColour(d.event_type_colour[d.event_type[s.members[0]]]);
          if (s.hollow) {  // location known only to a tehsil, district or province: a ring at its centre
            ctx.lineWidth = 4;
            ctx.strokeStyle = "rgba(255, 255, 255, 0.9)";
            ctx.stroke();
            ctx.lineWidth = 2.2;
            ctx.strokeStyle = colour;
            ctx.stroke();
          } else {
            ctx.fillStyle = colour;
            ctx.globalAlpha = s.fillAlpha;
            ctx.fill();
            ctx.globalAlpha = 1;
            ctx.lineWidth = 0.8;
            ctx.strokeStyle = "#202020";
            ctx.stroke();
          }
          return;
        }
        if (!s.hollow) {
          ctx.fillStyle = "rgba(255, 255, 255, " + s.fillAlpha + ")";
          ctx.fill();
        } else {
          ctx.setLineDash([3, 2]);
        }
        ctx.lineWidth = country ? 1.1 : 1.4;
        ctx.strokeStyle = self.groupMode() === "killed" ? "rgba(120, 0, 20, 0.9)" : "rgba(20, 20, 20, 0.85)";
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = "bold " + (s.r < 8 ? 9 : 10) + "px sans-serif";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.lineJoin = "round";
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255, 255, 255, 0.9)";
        ctx.strokeText(fmt(s.value, 0), s.x, s.y + 0.5);
        ctx.fillStyle = "#111111";
        ctx.fillText(fmt(s.value, 0), s.x, s.y + 0.5);
      });
      ctx.lineWidth = 1;
      this._drawn = symbols;
      this._hover(null);
      this.fire("redraw");
    },

    /* The symbol drawn at a container point, or null. */
    hitAt: function (point) {
      for (var i = this._drawn.length - 1; i >= 0; i--) {  // topmost (drawn last) first
        var s = this._drawn[i], dx = s.x - point.x, dy = s.y - point.y;
        if (dx * dx + dy * dy <= (s.r + 2) * (s.r + 2)) return s;
      }
      return null;
    },

    _onMove: function (e) {
      var symbol = this.hitAt(e.containerPoint), container = this._map.getContainer();
      container.classList.toggle("geo-pointer", symbol !== null);
      container.classList.toggle("geo-over-incident", symbol !== null);  // hides the district tooltip
      if (symbol !== this._hovered) this._hover(symbol);
    },

    _hover: function (symbol) {
      if (this._hoverTip) this._hoverTip.remove();
      this._hoverTip = null;
      this._hovered = symbol;
      if (!symbol || !this._map) return;
      this._hoverTip = L.tooltip({direction: "top", offset: [0, -symbol.r], className: "geo-incident-tooltip"})
        .setLatLng(this._map.containerPointToLatLng([symbol.x, symbol.y]))
        .setContent(incidentTooltip(this._data, symbol.members))
        .addTo(this._map);
    },

    _onClick: function (e) {
      var symbol = this.hitAt(e.containerPoint), map = this._map, d = this._data;
      if (!symbol) return;
      var bounds = L.latLngBounds(symbol.members.map(function (m) { return [d.lat[m] / 1e5, d.lon[m] / 1e5]; }));
      var onePoint = bounds.getNorthEast().equals(bounds.getSouthWest());
      if (symbol.members.length > 1 && !onePoint) {
        map.closePopup();
        map.fitBounds(bounds.pad(0.3), {maxZoom: Math.max(map.getZoom() + 2, this.options.clusterBelowZoom)});
        return;
      }
      var k = symbol.members[0];
      var content = symbol.members.length > 1 ? stackPopup(d, symbol.members) : incidentPopup(d, k);
      L.popup(popupOptions(map)).setLatLng([d.lat[k] / 1e5, d.lon[k] / 1e5]).setContent(content).openOn(map);
    }
  });

  geoRisk.incidentLayer = function (blockId, options) {
    geoRisk.incidents = new geoRisk.IncidentLayer(readJson(blockId), options);  // the label layer avoids its symbols
    return geoRisk.incidents;
  };

  /* District names as a label layer: shown from `minZoom` on, greedily
   * placed by risk score then area at each polygon's inner centre, or just
   * above, below, right or left of it, wherever they overlap neither a label
   * already placed, the middle of an incident symbol nor a panel; a name with
   * no free place is left out at that zoom. Text nodes only. */
  geoRisk.LabelLayer = L.Layer.extend({
    options: {minZoom: 7, pane: "geoLabels", gapPx: 2},

    initialize: function (labels, options) {
      L.setOptions(this, options);
      this._labels = labels.slice().sort(function (a, b) {
        return (b[3] === null ? -1 : b[3]) - (a[3] === null ? -1 : a[3]) || (b[4] || 0) - (a[4] || 0) ||
          (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
      });
      this._shown = [];
    },

    onAdd: function (map) {
      if (!map.getPane(this.options.pane)) {
        var pane = map.createPane(this.options.pane);
        pane.style.zIndex = 455;  // over the incident canvas (450), under tooltips and popups
        pane.style.pointerEvents = "none";
      }
      this._container = L.DomUtil.create("div", "geo-labels leaflet-zoom-hide", map.getPane(this.options.pane));
      this._nodes = this._labels.map(function (label) {
        var node = el("div", "geo-district-label", label[0]);
        this._container.appendChild(node);
        return node;
      }, this);
      map.on("zoomend moveend viewreset resize layeradd layerremove", this._update, this);
      if (geoRisk.incidents) geoRisk.incidents.on("redraw", this._update, this);
      this._update();
    },

    onRemove: function (map) {
      L.DomUtil.remove(this._container);
      map.off("zoomend moveend viewreset resize layeradd layerremove", this._update, this);
      if (geoRisk.incidents) geoRisk.incidents.off("redraw", this._update, this);
      this._shown = [];
    },

    /* The labels shown now: [{name, left, top, right, bottom}] in container pixels. */
    shownLabels: function () { return this._shown; },

    _update: function () {
      var map = this._map;
      if (!map) return;
      this._shown = [];
      var on = map.getZoom() >= this.options.minZoom;
      this._container.style.display = on ? "" : "none";
      if (!on) return;
      var size = map.getSize(), gap = this.options.gapPx, placed = [];
      var incidents = geoRisk.incidents, symbols = incidents && map.hasLayer(incidents) ? incidents.drawnSymbols() : [];
      // a label may cross a symbol's rim but not its middle (a group's number, a point's centre)
      var obstacles = symbols.map(function (s) {
        var half = s.group ? Math.max(6, 0.6 * s.r) : Math.max(2, 0.6 * s.r);
        return {left: s.x - half, top: s.y - half, right: s.x + half, bottom: s.y + half};
      }).concat(panelBoxes(map).boxes);  // nor under a panel
      function free(box) {
        if (box.left < 0 || box.top < 0 || box.right > size.x || box.bottom > size.y) return false;
        function clear(o) {
          return !(box.left < o.right + gap && o.left < box.right + gap && box.top < o.bottom + gap &&
                   o.top < box.bottom + gap);
        }
        return placed.every(clear) && obstacles.every(clear);
      }
      this._nodes.forEach(function (node, i) {
        var label = this._labels[i], p = map.latLngToContainerPoint([label[1], label[2]]);
        node.style.display = "";
        if (!node._w) { node._w = node.offsetWidth; node._h = node.offsetHeight; }
        var w = node._w, h = node._h, box = null;
        [[0, 0], [0, -h], [0, h], [w / 2 + 4, 0], [-w / 2 - 4, 0], [0, -2 * h], [0, 2 * h]].some(function (shift) {
          var x = p.x + shift[0], y = p.y + shift[1];
          var candidate = {name: label[0], left: x - w / 2, top: y - h / 2, right: x + w / 2, bottom: y + h / 2};
          if (free(candidate)) box = candidate;
          return box !== null;
        });
        if (!box) { node.style.display = "none"; return; }
        placed.push(box);
        L.DomUtil.setPosition(node, map.containerPointToLayerPoint([box.left, box.top]));
      }, this);
      this._shown = placed;
    }
  });

  geoRisk.labelLayer = function (labels, options) {
    var layer = new geoRisk.LabelLayer(labels, options);
    geoRisk.labels = layer;
    return layer;
  };

  function control(position, className, build) {
    var Control = L.Control.extend({
      onAdd: function () {
        var box = el("div", "leaflet-control geo-box " + className);
        build(box);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Control({position: position});
  }

  function swatch(colour, shape) {
    var mark = el("span", "geo-swatch" + (shape ? " geo-" + shape : ""));
    if (shape === "line") mark.style.borderTopColor = colour; else mark.style.background = colour;
    return mark;
  }

  function legendRow(list, mark, text) {
    var row = el("div", "geo-legend-row");
    row.appendChild(mark);
    row.appendChild(el("span", null, text));
    list.appendChild(row);
  }

  /* A part of the legend shown while one of ``layers`` (keys of geoRisk.layers) is on. */
  function legendSection(parent, layers) {
    var box = el("div", "geo-legend-section");
    box.setAttribute("data-geo-layers", layers);
    parent.appendChild(box);
    return box;
  }

  function legend(box, cfg) {
    var details = el("details");
    details.open = true;
    details.id = "geo-legend-details";
    details.appendChild(el("summary", "geo-title", "Legend"));
    var none = el("div", "geo-sub", "No layer with a legend is on: tick one in the layer list.");
    none.id = "geo-legend-none";
    none.hidden = true;
    details.appendChild(none);
    var risk = legendSection(details, "districts tehsils");
    risk.id = "geo-legend-risk";
    risk.appendChild(el("div", "geo-section", "Risk index (district, tehsil)"));
    cfg.risk_classes.forEach(function (entry) { legendRow(risk, swatch(entry[1]), entry[0]); });
    var symbols = legendSection(details, "incidents");
    symbols.id = "geo-legend-incidents";
    symbols.appendChild(el("div", "geo-section", "Incidents by event type"));
    cfg.types.forEach(function (entry) { legendRow(symbols, swatch(entry[1], "dot"), entry[0]); });
    legendRow(symbols, swatch(cfg.other_colour, "dot"), "other types");
    var sizes = el("div", "geo-legend-row geo-sizes");
    [0, 1, 5, 20].forEach(function (killed) {
      var dot = el("span", "geo-size");
      var r = radius(killed);
      dot.style.width = dot.style.height = (2 * r) + "px";
      sizes.appendChild(dot);
      sizes.appendChild(el("span", null, killed === 0 ? "0 or unknown" : String(killed)));
    });
    symbols.appendChild(el("div", "geo-sub", "Symbol size: killed"));
    symbols.appendChild(sizes);
    var vague = swatch("transparent", "dot");
    vague.classList.add("geo-hollow");
    vague.id = "geo-legend-hollow";
    legendRow(symbols, vague, "hollow: location known only to a tehsil or district or the province, " +
              "drawn at its centre");
    var group = swatch("rgba(255,255,255,0.45)", "dot");
    group.classList.add("geo-group-swatch");
    var groupText = el("span", null, "");
    groupText.id = "geo-legend-group";
    var row = el("div", "geo-legend-row");
    row.appendChild(group);
    row.appendChild(groupText);
    symbols.appendChild(row);
    geoRisk._legendGroupText = function (mode) {
      groupText.textContent = "group, labelled with the " + (mode === "killed" ? "number killed" :
        "number of incidents") + ": nearby incidents below zoom " + cfg.cluster_below_zoom + " (click to zoom in), " +
        "those at one point above it (click for the list); dashed: no exact location";
    };
    geoRisk._legendGroupText("count");
    var border = legendSection(details, "border bands");
    border.appendChild(el("div", "geo-section", "Border"));
    legendRow(legendSection(border, "border"), swatch(cfg.border_colour, "line"), "Pakistan–Afghanistan border");
    var bands = legendSection(border, "bands");
    bands.id = "geo-legend-bands";
    cfg.bands.forEach(function (entry) { legendRow(bands, swatch(entry[1]), "within " + entry[0]); });
    if (cfg.density) {
      var density = legendSection(details, "density");
      density.id = "geo-legend-density";
      density.appendChild(el("div", "geo-section", "Incident density (" + cfg.density.kernel + " kernel, " +
                             cfg.density.bandwidth_km + " km bandwidth)"));
      var ramp = el("div", "geo-ramp");
      ramp.id = "geo-density-ramp";
      ramp.style.background = "linear-gradient(to right, " + cfg.density.ramp.join(", ") + ")";
      density.appendChild(ramp);
      density.appendChild(el("div", "geo-sub", "District fill is faded while the density is on."));
      density.appendChild(el("div", "geo-sub", "0 to " + fmt(cfg.density.max, 3) + " incidents per km² and above"));
      if (cfg.density.period) {
        density.appendChild(el("div", "geo-sub", "Incidents of " + cfg.density.period[0] + " to " +
                               cfg.density.period[1] + " in KP and Balochistan"));
      }
    }
    box.appendChild(details);
    return details;
  }

  /* Each part of the legend shows while a layer it explains is on (the bands only with the
   * bands), and a line says so when none is. */
  function legendFollowsLayers(map, layers, details) {
    var sections = details.querySelectorAll("[data-geo-layers]");
    function update() {
      var shown = 0;
      Array.prototype.forEach.call(sections, function (section) {
        section.hidden = !section.getAttribute("data-geo-layers").split(" ").some(function (key) {
          return layers[key] && map.hasLayer(layers[key]);
        });
        if (!section.hidden && section.parentNode === details) shown++;
      });
      document.getElementById("geo-legend-none").hidden = shown > 0;
    }
    map.on("overlayadd overlayremove", update);
    update();
  }

  /* Groups show incidents or killed: two radio buttons. */
  function groupToggle(box, layer) {
    var row = el("div", "geo-group-mode");
    row.appendChild(el("span", null, "Groups show:"));
    [["count", "incidents"], ["killed", "killed"]].forEach(function (entry) {
      var label = el("label"), input = el("input");
      input.type = "radio";
      input.name = "geo-group-mode";
      input.id = "geo-group-" + entry[0];
      input.value = entry[0];
      input.checked = layer.groupMode() === entry[0];
      input.addEventListener("change", function () {
        if (input.checked) layer.setGroupMode(entry[0]);
        if (geoRisk._legendGroupText) geoRisk._legendGroupText(layer.groupMode());
      });
      label.appendChild(input);
      label.appendChild(el("span", null, entry[1]));
      row.appendChild(label);
    });
    box.appendChild(row);
  }

  /* A collapsible checkbox list filtering the incidents by one coded column, values sorted by how
   * many incidents have them (ties by name); none ticked, or "All", shows every value. */
  function filterList(box, layer, field, title) {
    var d = layer._data, names = d[field + "_names"], tally = names.map(function () { return 0; });
    d[field].forEach(function (code) { if (code >= 0) tally[code]++; });
    var order = names.map(function (_, i) { return i; }).filter(function (i) { return tally[i] > 0; });
    order.sort(function (a, b) { return tally[b] - tally[a] || (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0); });
    var details = el("details", "geo-filter");
    details.id = "geo-filter-" + field;
    var summary = el("summary");
    var heading = el("span", "geo-filter-title", title + ": "), chosen = el("span", "geo-filter-chosen", "all");
    var reset = el("button", "geo-filter-all", "All");
    reset.type = "button";
    reset.id = "geo-filter-" + field + "-all";
    reset.title = "Show every " + title.toLowerCase();
    reset.hidden = true;  // shown while the filter keeps some values out
    summary.appendChild(heading);
    summary.appendChild(chosen);
    summary.appendChild(reset);
    details.appendChild(summary);
    var list = el("div", "geo-filter-list"), boxes = [];
    order.forEach(function (code) {
      var label = el("label", "geo-filter-row"), input = el("input");
      input.type = "checkbox";
      input.value = String(code);
      input.id = "geo-filter-" + field + "-" + code;
      label.appendChild(input);
      label.appendChild(el("span", "geo-filter-name", names[code]));
      label.appendChild(el("span", "geo-filter-n", fmt(tally[code], 0)));
      list.appendChild(label);
      boxes.push(input);
    });
    details.appendChild(list);
    function apply() {
      var codes = boxes.filter(function (b) { return b.checked; }).map(function (b) { return Number(b.value); });
      chosen.textContent = codes.length ? (codes.length === 1 ? names[codes[0]] : codes.length + " of " +
                                           order.length) : "all";
      chosen.title = codes.map(function (code) { return names[code]; }).join("; ");
      reset.hidden = !codes.length;
      layer.setFilter(field, codes);
    }
    boxes.forEach(function (b) { b.addEventListener("change", apply); });
    reset.addEventListener("click", function (e) {
      e.preventDefault();  // inside the summary: reset, without opening or closing the list
      boxes.forEach(function (b) { b.checked = false; });
      apply();
    });
    box.appendChild(details);
  }

  function timeControl(box, layer, cfg) {
    var d = layer._data, months = d.months, last = months.length - 1;
    box.appendChild(el("div", "geo-title", "Incidents by date"));
    function slider(label, id, value) {
      var row = el("label", "geo-time-row");
      row.appendChild(el("span", "geo-time-label", label));
      var input = el("input");
      input.type = "range";
      input.id = id;
      input.min = 0;
      input.max = Math.max(0, last);
      input.step = 1;
      input.value = value;
      row.appendChild(input);
      var shown = el("span", "geo-time-month");
      row.appendChild(shown);
      box.appendChild(row);
      return {input: input, shown: shown};
    }
    // Opens on the risk period's months (cfg.time_window); the sliders still reach every month of the data.
    var opening = cfg.time_window || [];
    var openFrom = months.indexOf(opening[0]), openTo = months.indexOf(opening[1]);
    if (openFrom < 0) openFrom = 0;
    if (openTo < openFrom) openTo = Math.max(openFrom, last);
    var from = slider("From", "geo-time-from", openFrom), to = slider("To", "geo-time-to", openTo);
    var buttons = el("div", "geo-time-buttons");
    var play = el("button", null, "▶ Play"), all = el("button", null, "All dates");
    play.type = all.type = "button";
    play.id = "geo-time-play";
    all.id = "geo-time-all";
    buttons.appendChild(play);
    buttons.appendChild(all);
    box.appendChild(buttons);
    var filters = el("div", "geo-filters");
    filterList(filters, layer, "actor_group", "Actor group");
    filterList(filters, layer, "event_type", "Event type");
    box.appendChild(filters);
    layer.on("filterchange", showCount);
    var status = el("div", "geo-time-count");
    status.id = "geo-time-count";
    box.appendChild(status);
    var timer = null;

    function apply(source) {
      var a = Number(from.input.value), b = Number(to.input.value);
      if (a > b) {
        if (source === from.input) to.input.value = a; else from.input.value = b;
        a = Number(from.input.value);
        b = Number(to.input.value);
      }
      from.shown.textContent = months.length ? months[a] : "–";
      to.shown.textContent = months.length ? months[b] : "–";
      if (months.length) layer.setWindow(d.month_first_day[a], d.month_last_day[b]);
      showCount();
    }
    function showCount() {
      status.textContent = fmt(layer.visibleCount(), 0) + " of " + fmt(d.t.length, 0) + " incidents shown";
    }
    function stop() {
      if (timer !== null) window.clearInterval(timer);
      timer = null;
      play.textContent = "▶ Play";
    }
    from.input.addEventListener("input", function () { stop(); apply(from.input); });
    to.input.addEventListener("input", function () { stop(); apply(to.input); });
    all.addEventListener("click", function () {
      stop();
      from.input.value = 0;
      to.input.value = last;
      apply(null);
    });
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      var width = Number(to.input.value) - Number(from.input.value);
      if (width >= last) width = 0;  // whole range selected: play month by month
      from.input.value = 0;
      to.input.value = width;
      apply(null);
      play.textContent = "❚❚ Pause";
      timer = window.setInterval(function () {
        if (Number(to.input.value) >= last) { stop(); return; }
        from.input.value = Number(from.input.value) + 1;
        to.input.value = Number(to.input.value) + 1;
        apply(null);
      }, 900);
    });
    apply(null);
    groupToggle(box, layer);
  }

  /* Layer list and legend: collapsed behind their buttons when the viewport
   * is narrower than cfg.panels_collapsed_below_px, open above; the legend's
   * height is held to the room under the top-right controls, so it scrolls
   * rather than being cut off. */
  function layout(map, layers, legendBox, legendDetails, cfg) {
    var container = map.getContainer(), narrow = null;
    var layersBox = layers.getContainer();
    var close = el("button", "geo-panel-close", "Hide layers ✕");
    close.type = "button";
    close.addEventListener("click", function (e) { L.DomEvent.stop(e); layers.collapse(); });
    layers._section.insertBefore(close, layers._section.firstChild);
    map.on("click", function () { if (narrow) layers.collapse(); });
    function fitLegend() {
      var frame = container.getBoundingClientRect();
      var top = container.querySelector(".leaflet-top.leaflet-right").getBoundingClientRect().bottom;
      var bottom = legendBox.getBoundingClientRect().bottom;
      legendBox.style.maxHeight = Math.max(60, Math.floor(bottom - Math.max(top, frame.top) - 10)) + "px";
    }
    function apply() {
      var now = window.innerWidth < cfg.panels_collapsed_below_px;
      if (now !== narrow) {
        narrow = now;
        container.classList.toggle("geo-narrow", narrow);
        if (narrow) layers.collapse(); else layers.expand();
        legendDetails.open = !narrow;
      }
      fitLegend();
    }
    window.addEventListener("resize", apply);
    if (window.ResizeObserver) new ResizeObserver(fitLegend).observe(layersBox);
    legendDetails.addEventListener("toggle", fitLegend);
    apply();
    geoRisk.narrow = function () { return narrow; };
  }

  /* While the density surface is on, the district fill fades so that the two ramps do not mix. */
  function fadeUnderDensity(map, layers) {
    var districts = layers.districts, density = layers.density;
    if (!districts || !density) return;
    var style = districts.options.style, faded = false;
    districts.options.style = function (feature) {
      var own = typeof style === "function" ? style(feature) : L.extend({}, style);
      return faded ? L.extend({}, own, {fillOpacity: 0.25}) : own;
    };
    function restyle(on) {
      faded = on;
      districts.eachLayer(function (layer) { districts.resetStyle(layer); });
    }
    density.on("add", function () { restyle(true); });
    density.on("remove", function () { restyle(false); });
    if (map.hasLayer(density)) restyle(true);
  }

  /* Title, banner, legend, time control and attribution of a map. */
  geoRisk.controls = function (map, incidents, configId, layerControl, layers) {
    CONFIG = readJson(configId);
    var cfg = CONFIG;
    var container = map.getContainer();
    if (cfg.synthetic) {
      var banner = el("div", "geo-synthetic-banner",
                      "SYNTHETIC DATA: " + fmt(cfg.synthetic_shown, 0) + " of the incidents shown are synthetic " +
                      "records made by geo's generator, not real events.");
      banner.id = "geo-synthetic-banner";
      banner.setAttribute("role", "alert");
      container.appendChild(banner);
      container.classList.add("geo-has-banner");
    }
    control("topleft", "geo-heading", function (box) {
      box.id = "geo-heading";
      box.appendChild(el("div", "geo-title", cfg.title));
      box.appendChild(el("div", "geo-sub", cfg.period));
      if (cfg.time_note) box.appendChild(el("div", "geo-sub", cfg.time_note));
      box.appendChild(el("div", "geo-sub", fmt(cfg.incidents_shown, 0) + " of " + fmt(cfg.incidents_total, 0) +
                         " incidents drawn"));
      if (cfg.selection) box.appendChild(el("div", "geo-sub geo-selection", cfg.selection));
    }).addTo(map);
    var legendBox = null, legendDetails = null;
    control("bottomright", "geo-legend", function (box) {
      box.id = "geo-legend";
      legendBox = box;
      legendDetails = legend(box, cfg);
    }).addTo(map);
    control("bottomleft", "geo-time", function (box) { box.id = "geo-time"; timeControl(box, incidents, cfg); }).addTo(map);
    control("bottomleft", "geo-attribution", function (box) {
      box.id = "geo-attribution";
      box.appendChild(el("span", null, "Data: " + cfg.attribution + "."));
    }).addTo(map);
    geoRisk.map = map;
    geoRisk.incidents = incidents;
    geoRisk.layerControl = layerControl;
    geoRisk.layers = layers || {};
    legendFollowsLayers(map, geoRisk.layers, legendDetails);
    layout(map, layerControl, legendBox, legendDetails, cfg);
    fadeUnderDensity(map, geoRisk.layers);
  };
})();
