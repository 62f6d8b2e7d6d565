"""Chart geometry: pure functions from numbers to SVG coordinates (no I/O, no markup).

The templates in ``api/web/templates/charts.html`` draw what these compute.
"""
