// Tables as stacked cards on phones (see "tables" in app.css): each body cell gets its column's heading as
// data-label, which the stylesheet shows above the value below the breakpoint. Tables whose template already
// wrote the labels carry the class "cards"; "no-cards" keeps a table a table (it scrolls in its .table-wrap).
(function () {
  "use strict";

  function headings(table) {
    // the column names of the header row, one per column (a heading spanning columns names each of them)
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) return null;
    var names = [];
    Array.prototype.forEach.call(row.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i++) names.push(cell.textContent.trim());
    });
    return names;
  }

  function label(table) {
    var names = headings(table);
    if (!names) return;
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label")) {
            // a cell across every column is a message ("nothing matches"): it needs no name
            var spansAll = (cell.colSpan || 1) >= names.length && names.length > 1;
            cell.setAttribute("data-label", spansAll ? "" : (names[column] || ""));
          }
          column += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("cards");
  }

  function init() {
    document.querySelectorAll("main table:not(.cards):not(.no-cards)").forEach(label);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
