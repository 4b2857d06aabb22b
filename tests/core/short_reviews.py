"""A hand-written corpus of short reviews as students and diners type them (for the tests).

Written for these tests (not taken from any dataset): one to ten words each, unsegmented,
some with spaced punctuation as tokenised corpora have it, some in teencode, a few without
diacritics, plus English reviews of the same kind. Labels follow a 3-class scheme.
"""

from __future__ import annotations

VIETNAMESE = [
    ("chán .", "neg"), ("quá nhanh .", "neg"), ("nói lan man .", "neg"),
    ("cô giáo xinh .", "pos"), ("thầy dạy hay", "pos"), ("rất nhiệt tình", "pos"),
    ("bài tập nhiều quá", "neg"), ("dễ hiểu", "pos"), ("khó hiểu", "neg"),
    ("tạm được", "neu"), ("bình thường", "neu"), ("không có ý kiến", "neu"),
    ("giảng chậm , dễ theo dõi", "pos"), ("phòng học nóng", "neg"), ("máy chiếu mờ", "neg"),
    ("thầy vui tính", "pos"), ("cô hơi khó tính", "neg"), ("nên có thêm ví dụ", "neu"),
    ("tài liệu đầy đủ", "pos"), ("thiếu tài liệu", "neg"), ("kiến thức bổ ích", "pos"),
    ("học xong vẫn mơ hồ", "neg"), ("ổn", "neu"), ("tuyệt vời", "pos"), ("tệ", "neg"),
    ("hay lắm", "pos"), ("dở ẹc", "neg"), ("ok nha", "pos"), ("ko hiểu gì hết", "neg"),
    ("dc lắm", "pos"), ("thầy giảng hơi nhanh", "neg"), ("cô dễ thương", "pos"),
    ("môn học thú vị", "pos"), ("chấm điểm khắt khe", "neg"), ("đề thi khó", "neg"),
    ("giờ học thoải mái", "pos"), ("lớp đông quá", "neg"), ("âm thanh nhỏ", "neg"),
    ("cần cải thiện", "neu"), ("thầy nhiệt tình giúp đỡ", "pos"), ("nội dung hơi khô", "neg"),
    ("nhân viên thân thiện", "pos"), ("đồ ăn ngon", "pos"), ("giá hơi cao", "neg"),
    ("phục vụ chậm", "neg"), ("quán sạch sẽ", "pos"), ("món này mặn", "neg"),
    ("sẽ quay lại", "pos"), ("không quay lại nữa", "neg"), ("thất vọng", "neg"),
    ("hài lòng", "pos"), ("nước uống ngon", "pos"), ("không gian đẹp", "pos"),
    ("chỗ để xe chật", "neg"), ("hơi ồn", "neg"), ("ngon rẻ", "pos"), ("đắt", "neg"),
    ("view đẹp", "pos"), ("trà sữa ngọt quá", "neg"), ("bánh mì giòn", "pos"),
    ("phở nhạt", "neg"), ("ship nhanh", "pos"), ("đóng gói cẩn thận", "pos"),
    ("nhân viên cau có", "neg"), ("chờ lâu", "neg"), ("mình thích", "pos"),
    ("cũng được", "neu"), ("vừa miệng", "pos"), ("hơi ít", "neg"), ("đáng tiền", "pos"),
    ("không đáng tiền", "neg"), ("quá tuyệt", "pos"), ("bình thường thôi", "neu"),
    ("thầy rất tâm huyết", "pos"), ("giáo trình cũ", "neg"), ("bài giảng sinh động", "pos"),
    ("slide khó đọc", "neg"), ("thầy hay đi trễ", "neg"), ("cô trả bài đúng hạn", "pos"),
    ("mong thầy chậm lại", "neu"), ("k hiểu lắm", "neg"), ("hok thích", "neg"),
    ("thik lắm", "pos"), ("dạy dễ hiểu wa", "pos"), ("bt", "neu"), ("nhìu bài tập", "neg"),
    ("thầy cho điểm cao", "pos"), ("học vui", "pos"), ("buồn ngủ", "neg"), ("gắt quá", "neg"),
    ("mát mẻ", "pos"), ("ồn ào", "neg"), ("thân thiện", "pos"), ("được", "neu"),
    ("hoà nhã", "pos"), ("khỏe khoắn", "pos"), ("ổn áp", "pos"), ("xịn", "pos"),
    ("món ăn nguội", "neg"), ("thịt dai", "neg"), ("nước lèo đậm đà", "pos"),
    ("chủ quán dễ chịu", "pos"), ("giá cả hợp lý", "pos"), ("bàn ghế bẩn", "neg"),
    ("thầy hướng dẫn kỹ", "pos"), ("cô nói nhỏ quá", "neg"), ("bài tập vừa sức", "pos"),
    ("không có gì để chê", "pos"), ("chê", "neg"), ("mê", "pos"), ("ghét", "neg"),
    ("thích", "pos"), ("hay", "pos"), ("dở", "neg"), ("chưa hài lòng", "neg"),
    ("quán ăn này ngon , nhân viên phục vụ nhanh và rất chu đáo", "pos"),
    ("thầy giảng bài rất hay nhưng bài tập về nhà hơi nhiều", "neu"),
]
# Vietnamese typed without any diacritics: langid cannot tell it from other languages and the
# letters rule has nothing to go on; the report counts these.
NO_DIACRITICS = [("ko ngon lam", "neg"), ("qua ngon", "pos"), ("thay day hay", "pos")]
ENGLISH = [
    ("so good", "pos"), ("boring class", "neg"), ("the teacher is great", "pos"),
    ("too fast", "neg"), ("nice food", "pos"), ("terrible service", "neg"),
    ("I love this course", "pos"), ("not bad", "neu"), ("very helpful teacher", "pos"),
    ("waste of time", "neg"), ("the room was too hot and noisy", "neg"),
    ("great value for money , will come back", "pos"),
    ("the lecturer explains everything clearly and gives useful examples", "pos"),
    ("slow service and the soup was cold when it arrived", "neg"),
]
