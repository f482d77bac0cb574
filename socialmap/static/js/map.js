// Maps of the public directory (Leaflet + markercluster, vendored). Markers come from a
// <script type="application/json"> block named by the map's data-markers attribute; tiles from
// data-tiles (empty: no tile layer, markers on a plain background, no third-party request).
// The list beside the map is the accessible view: markers stay out of the tab order.
(function () {
  "use strict";
  if (!window.L) return;

  function popup(marker, detailUrl) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = detailUrl.replace("SERVICE_ID", encodeURIComponent(marker.id));
    link.textContent = marker.name;
    box.appendChild(link);
    if (marker.organization) {
      var org = document.createElement("div");
      org.textContent = marker.organization;
      box.appendChild(org);
    }
    return box;
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.markers);
    if (!source) return;
    var markers;
    try {
      markers = JSON.parse(source.textContent);
    } catch (err) {
      return;
    }
    if (!markers.length) return;
    var wrap = element.parentElement;
    if (wrap && wrap.hidden) wrap.hidden = false;

    var map = L.map(element, { scrollWheelZoom: false, maxZoom: 18 });
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, {
        maxZoom: 19,
        attribution: element.dataset.attribution || ""
      }).addTo(map);
    } else {
      map.attributionControl.setPrefix(false);
    }
    var detailUrl = element.dataset.detailUrl || "";
    var group = (L.markerClusterGroup && markers.length > 1)
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 })
      : L.featureGroup();
    var bounds = [];
    markers.forEach(function (item) {
      var marker = L.marker([item.lat, item.lon], { keyboard: false, title: item.name, alt: item.name });
      if (detailUrl) marker.bindPopup(popup(item, detailUrl));
      group.addLayer(marker);
      bounds.push([item.lat, item.lon]);
    });
    group.addTo(map);
    var zoom = parseInt(element.dataset.zoom || "15", 10);
    if (bounds.length === 1) map.setView(bounds[0], zoom);
    // room above the points for the pins' height
    else map.fitBounds(bounds, { paddingTopLeft: [24, 48], paddingBottomRight: [24, 12], maxZoom: zoom });
  }

  document.querySelectorAll("[data-markers]").forEach(draw);
})();
