// Sortable tables: a click on a column's heading sorts the table by that column (Tablesort,
// vendored; see vendor.txt), as Material's documentation sets it up. A cell may carry its sort
// key on an element inside it (<span data-sort="2017-11">Nov 2017?</span>): Tablesort reads
// keys from the cell itself, so they are moved there first. Dates sort by those keys, not by
// the words they are shown in.
document$.subscribe(function () {
  document.querySelectorAll("article table:not([class])").forEach(function (table) {
    table.querySelectorAll("td [data-sort]").forEach(function (marker) {
      marker.closest("td").setAttribute("data-sort", marker.getAttribute("data-sort"));
    });
    new Tablesort(table);
  });
});
