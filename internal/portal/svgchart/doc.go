// Package svgchart draws the portal's cost charts as inline SVG on the server: stacked bars of cost over time
// by component, and budget bars (spent, forecast, thresholds, a hard limit). It is pure (values in, markup
// out), has no JavaScript and loads nothing from elsewhere, so it works under the portal's strict Content
// Security Policy: colours come from CSS classes in the portal's stylesheet, never from style attributes.
// Every chart carries a <title> and <desc> for screen readers and a Table with the same figures, which the
// page shows as the chart's text alternative. Amounts are the cost model's money.Amount (integer nano-units),
// formatted by money.Format; floats are used only for pixel positions.
package svgchart
