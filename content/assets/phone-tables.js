// Tables of the pages that list records, at phone width: site.css shows each row as a card,
// each cell under its column's name, so that nothing scrolls sideways. Here each cell gets the
// name of its column (data-label) and the table the mark site.css looks for.
document$.subscribe(function () {
  document.querySelectorAll("article table:not([class])").forEach(function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, column) {
        if (names[column]) cell.setAttribute("data-label", names[column]);
      });
    });
    table.setAttribute("data-kb-stacked", "");
  });
});
